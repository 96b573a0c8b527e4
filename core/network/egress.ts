/**
 * A cluster's public egress IPs, by outbound type: the load balancer's outbound IPs
 * (`loadBalancer`), the NAT gateway's (`managedNATGateway`, `userAssignedNATGateway`), or the hub
 * firewall's (`userDefinedRouting`), read from public IP resources declared, observed or recorded.
 */
import { parseArmId } from "../stack/arm-id";
import { clusterSubnets, clusterVnets, peeringBetween, peerings, PrivateEndpointInfo } from "./network";
import { ClusterNode, StackResource, Topology } from "../stack/topology";
import { Known, known, read, readArray, readString, UNKNOWN, readArmProp, refIds } from "../stack/values";

/** Public IP addresses (values) of the public IP resources with these ids; `pending` when one is unknown. */
function addressesOf(topo: Topology, refs: string[]): { ips: string[]; pending: boolean } {
  const out: string[] = [];
  let pending = false;
  const byKey = new Map<string, StackResource>();
  for (const r of topo.byKind.get("publicIPAddress") ?? []) {
    const id = parseArmId(r.props["id"]);
    if (id) byKey.set(id.key, r);
  }
  for (const ref of refs) {
    const r = byKey.get(parseArmId(ref)?.key ?? "");
    if (!r) continue;
    const ip = readString(r.props, "ipAddress");
    if (ip === UNKNOWN) pending = true;
    else if (ip) out.push(ip);
  }
  return { ips: out, pending };
}

/** The addresses and ranges of a registry's `networkRuleSet.ipRules` (azure-native `iPAddressOrRange`, ARM `value`). */
export function ipRuleValues(rules: readonly unknown[]): string[] {
  return rules
    .map((r) => read(r, "iPAddressOrRange") ?? read(r, "ipAddressOrRange") ?? read(r, "value"))
    .filter((v): v is string => typeof v === "string");
}

export interface Egress {
  outboundType: string;
  ips: string[];
  /** Where the IPs came from, for the message. */
  source: string;
}

export function clusterEgress(topo: Topology, cluster: ClusterNode): Known<Egress> | undefined {
  const p = cluster.res.props;
  const type = readString(p, "networkProfile", "outboundType");
  if (type === UNKNOWN) return UNKNOWN;
  const outboundType = type ?? "loadBalancer";
  let refs: string[] = [];
  let source = "";
  switch (outboundType.toLowerCase()) {
    case "loadbalancer": {
      const lb = read(p, "networkProfile", "loadBalancerProfile");
      refs = [...refIds(read(lb, "effectiveOutboundIPs")), ...refIds(read(lb, "outboundIPs", "publicIPs"))];
      source = "the load balancer's outbound IPs";
      break;
    }
    case "managednatgateway": {
      refs = refIds(read(p, "networkProfile", "natGatewayProfile", "effectiveOutboundIPs"));
      source = "the managed NAT gateway's IPs";
      break;
    }
    case "userassignednatgateway": {
      const subnetKeys = new Set(clusterSubnets(topo, cluster).subnets.map((s) => s.key));
      for (const nat of topo.byKind.get("natGateway") ?? []) {
        const onSubnet = refIds(read(nat.props, "subnets")).some((s) =>
          subnetKeys.has(parseArmId(s)?.key ?? ""),
        );
        if (onSubnet || subnetKeys.size === 0) refs.push(...refIds(read(nat.props, "publicIpAddresses")));
      }
      source = "the NAT gateway's IPs";
      break;
    }
    case "userdefinedrouting": {
      for (const fw of topo.byKind.get("azureFirewall") ?? []) {
        const configs = readArray(fw.props, "ipConfigurations");
        for (const c of known(configs) ? configs : []) {
          const ip = readArmProp(c, "publicIPAddress", "id");
          if (typeof ip === "string") refs.push(ip);
        }
      }
      source = "the hub firewall's public IPs";
      break;
    }
    default:
      return undefined; // none, block: no public egress to check
  }
  const { ips, pending } = addressesOf(topo, refs);
  if (pending) return UNKNOWN;
  return { outboundType, ips, source };
}

/**
 * Whether the cluster reaches one of the registry's private endpoints: same VNet, or peered both
 * ways. UNKNOWN when no path is shown but one may be once values are known (a VNet, an endpoint's
 * subnet, a peering's remote VNet, or which endpoints serve the registry, are not known yet).
 */
export function reachesPrivateEndpoint(
  topo: Topology,
  cluster: ClusterNode,
  pes: PrivateEndpointInfo[],
  registryId: Known<string> | undefined,
): Known<boolean> {
  const { vnets, pending: vnetsPending } = clusterVnets(topo, cluster);
  const all = peerings(topo);
  const reached = pes.some((pe) => {
    const peVnet = pe.vnet;
    if (!known(peVnet) || !peVnet) return false;
    return vnets.some(
      (v) => v.key === peVnet.key || (!!peeringBetween(all, v, peVnet) && !!peeringBetween(all, peVnet, v)),
    );
  });
  if (reached) return true;
  const undecided =
    vnetsPending ||
    registryId === UNKNOWN ||
    pes.some((pe) => pe.vnet === UNKNOWN) ||
    all.some((p) => p.to === UNKNOWN) ||
    // An endpoint whose target is not known yet may be this registry's.
    (topo.byKind.get("privateEndpoint") ?? []).some((pe) =>
      ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"].some((key) => {
        const list = readArray(pe.props, key);
        return (
          list === UNKNOWN ||
          (known(list) && list?.some((c) => readArmProp(c, "privateLinkServiceId") === UNKNOWN))
        );
      }),
    );
  return undecided ? UNKNOWN : false;
}
