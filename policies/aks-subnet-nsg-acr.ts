import { StackValidationPolicy } from "@pulumi/policy";
import { parseArmId } from "../core/arm-id";
import { parseCidr, cidrContains } from "../core/cidr";
import { clusterSubnetInfo, nsgDenies } from "../core/firewall";
import { privateEndpointsOf } from "../core/network";
import { pullPairs } from "../core/pull-pairs";
import { known, listOf, read, readArmProp, readString, UNKNOWN } from "../core/values";
import { declaredPulls, ipv4List, ipv4ListSchema, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "aks-subnet-nsg-acr";

export const aksSubnetNsgAcr: StackValidationPolicy = {
  name: NAME,
  description:
    "No NSG rule on the cluster's subnets denies outbound TCP 443 to the registry (its private-endpoint IPs, the " +
    "AzureContainerRegistry service tag or Internet) ahead of any allow, and no route sends that traffic to a virtual " +
    "appliance the stack knows nothing about.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#other-considerations",
  remediationSteps:
    "Add a higher-priority outbound allow (`az network nsg rule create ... --direction Outbound --access Allow " +
    "--destination-port-ranges 443`), or fix the route's next hop (`az network route-table route update`).",
  configSchema: {
    properties: {
      pulls: PULLS_SCHEMA,
      knownApplianceIps: ipv4ListSchema(
        "Private IPs of firewalls or appliances outside the stack that routes may legitimately point at.",
      ),
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<Record<string, unknown>>();
    const appliances = ipv4List(NAME, config, "knownApplianceIps");
    const topo = topologyOf(args.resources);
    const nsgs = new Map(
      (topo.byKind.get("networkSecurityGroup") ?? []).map((n) => [parseArmId(n.props["id"])?.key, n]),
    );
    const tables = new Map(
      (topo.byKind.get("routeTable") ?? []).map((t) => [parseArmId(t.props["id"])?.key, t]),
    );
    const firewallIps = new Set<string>(appliances);
    for (const fw of topo.byKind.get("azureFirewall") ?? []) {
      for (const c of listOf(read(fw.props, "ipConfigurations"))) {
        const ip = readArmProp(c, "privateIPAddress");
        if (typeof ip === "string") firewallIps.add(ip);
      }
    }
    let pending: string | undefined;
    for (const { cluster, registry } of pullPairs(topo, declaredPulls(NAME, config))) {
      const subnets = clusterSubnetInfo(topo, cluster);
      if (subnets === UNKNOWN) {
        pending ??= `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID`;
        continue;
      }
      const peIps = privateEndpointsOf(topo, registry).flatMap((pe) => pe.ips);
      const targets = peIps.length
        ? peIps.map((ip) => ({ cidr: parseCidr(ip), tags: ["VirtualNetwork"] }))
        : [{ cidr: undefined, tags: ["AzureContainerRegistry", "Internet"] }];
      const findings: string[] = [];
      let throughAppliance = false;
      for (const subnet of subnets) {
        const nsg = subnet.nsg ? nsgs.get(parseArmId(subnet.nsg)?.key) : undefined;
        for (const t of nsg ? targets : []) {
          const block = nsgDenies(nsg!, t);
          if (block === UNKNOWN) pending ??= `${nsg!.name}: securityRules`;
          else if (block)
            findings.push(
              `NSG '${block.nsg.name}' rule '${block.rule}' (priority ${block.priority}) denies outbound TCP 443 to ${block.target} before any allow`,
            );
        }
        const table = subnet.routeTable ? tables.get(parseArmId(subnet.routeTable)?.key) : undefined;
        for (const route of listOf(read(table?.props, "routes"))) {
          const prefix = readArmProp(route, "addressPrefix");
          const hopType = readArmProp(route, "nextHopType");
          const hop = readArmProp(route, "nextHopIpAddress");
          const range = typeof prefix === "string" ? parseCidr(prefix) : undefined;
          if (!range || hopType !== "VirtualAppliance" || typeof hop !== "string" || firewallIps.has(hop))
            continue;
          const carries = targets.some((t) => (t.cidr ? cidrContains(range, t.cidr) : range.prefix === 0));
          if (carries) throughAppliance = true;
          if (carries)
            findings.push(
              `route table '${table!.name}' sends ${prefix} to virtual appliance ${hop}, which the stack does not know`,
            );
        }
      }
      if (findings.length === 0) continue;
      const registryName = known(registry.name) ? registry.name.toLowerCase() : registry.label;
      const server = `${registryName}.azurecr.io`;
      const location = readString(registry.res.props, "location");
      const dataServer = `${registryName}.${known(location) ? location.toLowerCase() : "<region>"}.data.azurecr.io`;
      // An appliance that drops or inspects TLS shows as a handshake that never completes (the
      // article's cause 7); an NSG deny as a connection that never opens.
      const symptom = throughAppliance
        ? `ErrImagePull: 'Get "https://${server}/v2/": net/http: TLS handshake timeout' (or an i/o timeout on 443)`
        : "ErrImagePull (an i/o timeout on 443)";
      reportViolation(
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' may fail with ${symptom}: ` +
          `${findings.join("; ")}.\n` +
          "Fix: add a higher-priority outbound allow for TCP 443 to the registry (az network nsg rule create -g <group> " +
          "--nsg-name <nsg> -n allow-acr --priority 100 --direction Outbound --access Allow --protocol Tcp " +
          `--destination-port-ranges 443 --destination-address-prefixes ${peIps.length ? peIps.join(" ") : "AzureContainerRegistry"}), ` +
          "or point the route at the hub firewall (add the appliance to knownApplianceIps if it is one)" +
          (throughAppliance
            ? `; through a virtual appliance, validate that it passes TLS to ${server} and ${dataServer} (its firewall and proxy settings), or route the registry's traffic around it.`
            : "."),
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};
