import { parseCidr } from "../cidr";
import { clusterSubnetInfo, firewallRules, firewallVerdict, FirewallVerdict } from "../firewall";
import { privateEndpointsOf } from "../network";
import { known, readString, UNKNOWN } from "../values";
import type { Topology } from "../topology";
import { HopJudge } from "./hop";

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
        "Fix: check the group's addresses (az network ip-group show --ids <ip-group-id> --query ipAddresses), or declare the " +
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
    const message =
      `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${symptom(blockedIps[0])}: its egress goes through the hub firewall (outboundType: userDefinedRouting), and ` +
      `${why} (Microsoft's article, cause 4, solution 2).\n` +
      "Fix: declare aks-acr-guard's HubFirewallRegistryRule (at a priority ahead of any Deny that matches), or run: az network firewall policy rule-collection-group " +
      "collection add-filter-collection -g <firewall-group> --policy-name <policy> --rule-collection-group-name <group> " +
      `-n allow-acr --action Allow --collection-priority 200 --rule-name ${name ?? "acr"} --rule-type NetworkRule ` +
      `--source-addresses ${subnetList} --destination-addresses ${blockedIps.join(" ")} --destination-ports 443 --ip-protocols TCP`;
    return { fails: [message] };
  };
}
