import { cmd, cmds } from "../findings/fix";
import { parseCidr } from "../network/cidr";
import {
  allowCommands,
  allowPlacement,
  ApplicationRule,
  clusterSubnetInfo,
  firewallRules,
  NetworkRule,
  firewallVerdict,
  FirewallVerdict,
  publicFirewallVerdict,
} from "../network/firewall";
import { privateEndpointsOf } from "../network/network";
import type { PullPair } from "../stack/pull-pairs";
import { isUnknown, known, readArmProp, readString, UNKNOWN } from "../stack/values";
import type { Topology } from "../stack/topology";
import { HopJudge, HopVerdict } from "./hop";

export function firewallJudge(topo: Topology): HopJudge | undefined {
  const rules = firewallRules(topo);
  if (rules.firewalls === 0) return undefined; // no firewall known to the stack
  return ({ cluster, registry }, will) => {
    const none = { fails: [] as string[] };
    const outbound = readString(cluster.res.props, "networkProfile", "outboundType");
    if (outbound === UNKNOWN)
      return { fails: [], pending: `${cluster.res.name}: networkProfile.outboundType` };
    if (!known(outbound) || outbound.toLowerCase() !== "userdefinedrouting") return none;
    const subnets = clusterSubnetInfo(topo, cluster);
    if (subnets === UNKNOWN)
      return { fails: [], pending: `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID` };
    const sources = subnets.flatMap((s) => s.cidrs);
    if (sources.length === 0) return none; // the stack does not show the subnets' ranges
    const name = known(registry.name) ? registry.name.toLowerCase() : undefined;
    const location = readString(registry.res.props, "location");
    const fqdns = name
      ? [`${name}.azurecr.io`, `${name}.${known(location) ? location : "*"}.data.azurecr.io`]
      : [];
    const pes = privateEndpointsOf(topo, registry);
    const ips = pes.flatMap((pe) => pe.ips);
    if (pes.length === 0 || ips.length === 0) return none; // public path, or IPs the stack does not show
    // Each subnet to each endpoint IP, as the firewall decides it: the first matching rule wins.
    let uncertain: string | undefined;
    let pending: string | undefined;
    const blocked: { ip: string; verdict: Extract<FirewallVerdict, { kind: "deny" | "none" }> }[] = [];
    for (const ip of ips) {
      const addr = parseCidr(ip);
      if (!addr) continue;
      for (const source of sources) {
        const v = firewallVerdict(rules, source, addr, fqdns);
        if (v.kind === "uncertain" && v.rule.orderUnknown) pending ??= `${v.rule.where}: its priority`;
        else if (v.kind === "uncertain" && v.rule.groupsPending)
          pending ??= `${v.rule.where}: its IP groups' ipAddresses`;
        else if (v.kind === "uncertain") uncertain ??= v.rule.where;
        else if (v.kind !== "allow") {
          if (!blocked.some((b) => b.ip === ip)) blocked.push({ ip, verdict: v });
          break;
        }
      }
    }
    const symptom = (ip: string) => `ErrImagePull: "dial tcp ${ip}:443: i/o timeout"`;
    if (blocked.length === 0) {
      if (!uncertain) return { fails: [], pending };
      // The first rule that may match names an IP group the stack does not show: which way the
      // firewall decides is not known here, and the -unverified half says so.
      const unsure =
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${symptom(ips[0])} unless ` +
        `${uncertain} decides for them: it names an IP group this stack does not show, so whether the hub firewall lets ` +
        `the cluster's subnets (${sources.map((s) => s.raw).join(", ")}) reach the private-endpoint IPs ${ips.join(", ")} ` +
        "on TCP 443 is not known here.\n" +
        `Fix: check the group's addresses (${cmd("az network ip-group show --ids <ip-group-id> --query ipAddresses")}), or declare the ` +
        "IP group in this stack, or declare aks-acr-guard's HubFirewallRegistryRule ahead of that rule.";
      return { fails: [], unsure: [unsure], pending };
    }
    const blockedIps = blocked.map((b) => b.ip);
    const denied = blocked.find((b) => b.verdict.kind === "deny")?.verdict;
    const why =
      denied && denied.kind === "deny"
        ? `${denied.rule.where} denies its subnets (${sources.map((s) => s.raw).join(", ")}) the private-endpoint ` +
          `${blockedIps.length > 1 ? "IPs" : "IP"} ${blockedIps.join(", ")} before any rule allows them (Azure Firewall ` +
          "applies network rules, then application rules, each by rule collection group and rule collection priority, and the first match wins)"
        : `no network rule allows its subnets (${sources.map((s) => s.raw).join(", ")}) to the private-endpoint ` +
          `${blockedIps.length > 1 ? "IPs" : "IP"} ${blockedIps.join(", ")} on TCP 443, nor an application rule ${fqdns.join(" and ")}`;
    const subnetList = sources.map((s) => s.raw).join(" ");
    const rule =
      `--rule-name ${name ?? "acr"} --rule-type NetworkRule --source-addresses ${subnetList} ` +
      `--destination-addresses ${blockedIps.join(" ")} --destination-ports 443 --ip-protocols TCP`;
    const message =
      `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${symptom(blockedIps[0])}: its egress goes through the hub firewall (outboundType: userDefinedRouting), and ` +
      `${why} (Microsoft's article, cause 4, solution 2).\n` +
      "Fix: declare aks-acr-guard's HubFirewallRegistryRule (at a priority ahead of any Deny that matches), or run: " +
      placedAllow(topo, denied?.kind === "deny" ? denied.rule : undefined, rule);
    return { fails: [message], symptom: symptom(blockedIps[0]) };
  };
}

/**
 * The hub firewall on the public path (outboundType userDefinedRouting, egress through a firewall
 * the stack shows): the kubelet reaches the login server (route), then downloads layers from the
 * registry's data endpoint, `<name>.<region>.data.azurecr.io` with dedicated data endpoints, else
 * its storage, `*.blob.core.windows.net` (layers). The firewall must allow both; the
 * `AzureKubernetesService` FQDN tag covers neither a customer's registry nor its storage.
 */
export function publicFirewallJudge(
  topo: Topology,
): ((pair: PullPair, will: string) => PublicFirewall) | undefined {
  const rules = firewallRules(topo);
  if (rules.firewalls === 0) return undefined;
  return ({ cluster, registry }, will) => {
    const none: PublicFirewall = { route: { fails: [] }, layers: () => ({ fails: [] }) };
    const outbound = readString(cluster.res.props, "networkProfile", "outboundType");
    if (outbound === UNKNOWN) {
      const wait = { fails: [], pending: `${cluster.res.name}: networkProfile.outboundType` };
      return { route: wait, layers: () => wait };
    }
    if (!known(outbound) || outbound.toLowerCase() !== "userdefinedrouting") return none;
    const subnets = clusterSubnetInfo(topo, cluster);
    if (subnets === UNKNOWN) {
      const wait = { fails: [], pending: `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID` };
      return { route: wait, layers: () => wait };
    }
    const sources = subnets.flatMap((s) => s.cidrs);
    const name = known(registry.name) ? registry.name.toLowerCase() : undefined;
    if (sources.length === 0 || !name) return none;
    const location = readString(registry.res.props, "location");
    const dedicated = readArmProp(registry.res.props, "dataEndpointEnabled");
    if (isUnknown(dedicated) || location === UNKNOWN) {
      const wait = { fails: [], pending: `${registry.res.name}: dataEndpointEnabled` };
      return { route: none.route, layers: () => wait };
    }
    const login = known(registry.loginServer) ? registry.loginServer.toLowerCase() : `${name}.azurecr.io`;
    const data =
      dedicated === true && known(location)
        ? `${name}.${location.toLowerCase()}.data.azurecr.io`
        : "'*.blob.core.windows.net'"; // quoted: the shell would expand it
    const judge = (fqdn: string, what: string, symptom: string, will: string): HopVerdict => {
      let uncertain: string | undefined;
      let pending: string | undefined;
      for (const source of sources) {
        const v = publicFirewallVerdict(rules, source, fqdn);
        if (v.kind === "allow") continue;
        if (v.kind === "uncertain") {
          if (v.rule.orderUnknown) pending ??= `${v.rule.where}: its priority`;
          else uncertain ??= v.rule.where;
          continue;
        }
        const why =
          v.kind === "deny"
            ? `${v.rule.where} denies the cluster's subnet ${source.raw} ${fqdn} before any rule allows it`
            : `no rule allows the cluster's subnet ${source.raw} to reach ${fqdn} on HTTPS 443 (the AzureKubernetesService ` +
              "FQDN tag does not cover a customer's registry or its storage)";
        return {
          symptom,
          fails: [
            `Pods on cluster '${cluster.label}' pulling from '${login}' ${will} with ${symptom}: its egress goes through the hub ` +
              `firewall (outboundType: userDefinedRouting) on the public path, which must allow ${what}, and ${why}.\n` +
              "Fix: add an application rule: " +
              placedAllow(
                topo,
                v.kind === "deny" ? v.rule : undefined,
                `--rule-name ${name} --rule-type ApplicationRule --protocols Https=443 ` +
                  `--source-addresses ${sources.map((c) => c.raw).join(" ")} --target-fqdns ${login} ${data}`,
              ),
          ],
          pending,
        };
      }
      if (!uncertain) return { fails: [], pending };
      return {
        fails: [],
        unsure: [
          `Pods on cluster '${cluster.label}' pulling from '${login}' ${will} with ${symptom} unless ${uncertain} lets them ` +
            `reach ${fqdn}: it names addresses, service tags or a storage account where the registry's public addresses are ` +
            "not known here.\n" +
            `Fix: check from a node: ${cmd(`curl -sI https://${fqdn.replace(/^\*/, "<storage-account>")}/v2/`)} should answer; or allow ${login} and ${data} in an application rule.`,
        ],
        pending,
      };
    };
    return {
      route: judge(
        login,
        `the login server ${login}`,
        `ErrImagePull: "dial tcp <registry public IP>:443: i/o timeout"`,
        will,
      ),
      layers: (layersWill) =>
        judge(
          data,
          `where layers come from, ${data}${dedicated === true ? " (dedicated data endpoints)" : " (the registry's storage)"}`,
          `ErrImagePull: 'failed to copy: httpReadSeeker: failed open: ... https://${data.replace(/^\*/, "<storage-account>")}/...: i/o timeout'`,
          layersWill,
        ),
    };
  };
}

export interface PublicFirewall {
  route: HopVerdict;
  /** The layers hop, worded by when it shows (it follows the network's first failure, not authorize's). */
  layers: (will: string) => HopVerdict;
}

/**
 * The commands that add an allow collection ahead of `deny` (or anywhere), named as the stack shows
 * the firewall policy; with placeholders only where it does not show which policy, or no free place.
 */
function placedAllow(topo: Topology, deny: NetworkRule | ApplicationRule | undefined, rule: string): string {
  const placement = allowPlacement(topo, deny);
  if (placement) return cmds(allowCommands(placement, "allow-acr", rule));
  return cmd(
    "az network firewall policy rule-collection-group collection add-filter-collection -g <firewall-group> " +
      "--policy-name <policy> --rule-collection-group-name <group> -n allow-acr --action Allow " +
      `--collection-priority <ahead of the deny> ${rule}`,
  );
}
