import { StackValidationPolicy } from "@pulumi/policy";
import { parseCidr } from "../core/cidr";
import { clusterSubnetInfo, firewallRules, firewallVerdict, FirewallVerdict } from "../core/firewall";
import { privateEndpointsOf } from "../core/network";
import { certainPullPairs } from "../core/pull-pairs";
import { known, readString, UNKNOWN } from "../core/values";
import { declaredPulls, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "aks-acr-hub-firewall";

export const aksAcrHubFirewall: StackValidationPolicy = {
  name: NAME,
  description:
    "When a cluster's egress goes through a hub firewall (outboundType: userDefinedRouting) that the stack declares, a " +
    "network rule lets the cluster subnets reach the registry's private-endpoint IPs on TCP 443, or an application rule " +
    "allows the registry's FQDNs.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-2-use-azure-firewall",
  remediationSteps:
    "Allow the cluster subnets to the private-endpoint IPs on TCP 443 (aks-acr-guard's HubFirewallRegistryRule, or " +
    "`az network firewall policy rule-collection-group collection add-filter-collection ... --rule-type NetworkRule " +
    "--destination-ports 443 --ip-protocols TCP`).",
  configSchema: { properties: { pulls: PULLS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    const rules = firewallRules(topo);
    if (rules.firewalls === 0) return; // no firewall known to the stack
    let pending: string | undefined;
    for (const { cluster, registry } of certainPullPairs(
      topo,
      declaredPulls(NAME, args.getConfig<Record<string, unknown>>()),
    )) {
      const outbound = readString(cluster.res.props, "networkProfile", "outboundType");
      if (outbound === UNKNOWN) pending ??= `${cluster.res.name}: networkProfile.outboundType`;
      if (!known(outbound) || outbound.toLowerCase() !== "userdefinedrouting") continue;
      const subnets = clusterSubnetInfo(topo, cluster);
      if (subnets === UNKNOWN) {
        pending ??= `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID`;
        continue;
      }
      const sources = subnets.flatMap((s) => s.cidrs);
      if (sources.length === 0) continue; // the stack does not show the subnets' ranges
      const name = known(registry.name) ? registry.name.toLowerCase() : undefined;
      const location = readString(registry.res.props, "location");
      const fqdns = name
        ? [`${name}.azurecr.io`, `${name}.${known(location) ? location : "*"}.data.azurecr.io`]
        : [];
      const pes = privateEndpointsOf(topo, registry);
      const ips = pes.flatMap((pe) => pe.ips);
      if (pes.length === 0 || ips.length === 0) continue; // public path, or IPs the stack does not show
      // Each subnet to each endpoint IP, as the firewall decides it: the first matching rule wins.
      const blocked: { ip: string; verdict: Extract<FirewallVerdict, { kind: "deny" | "none" }> }[] = [];
      for (const ip of ips) {
        const addr = parseCidr(ip);
        if (!addr) continue;
        for (const source of sources) {
          const v = firewallVerdict(rules, source, addr, fqdns);
          if (v.kind === "uncertain") pending ??= `${v.rule.where}: an IP group the stack does not show`;
          else if (v.kind !== "allow") {
            if (!blocked.some((b) => b.ip === ip)) blocked.push({ ip, verdict: v });
            break;
          }
        }
      }
      if (blocked.length === 0) continue;
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
      reportViolation(
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' will fail with ErrImagePull: "dial tcp ` +
          `${blockedIps[0]}:443: i/o timeout": its egress goes through the hub firewall (outboundType: userDefinedRouting), and ` +
          `${why} (Microsoft's article, cause 4, solution 2).\n` +
          "Fix: declare aks-acr-guard's HubFirewallRegistryRule (at a priority ahead of any Deny that matches), or run: az network firewall policy rule-collection-group " +
          "collection add-filter-collection -g <firewall-group> --policy-name <policy> --rule-collection-group-name <group> " +
          `-n allow-acr --action Allow --collection-priority 200 --rule-name ${name ?? "acr"} --rule-type NetworkRule ` +
          `--source-addresses ${subnetList} --destination-addresses ${blockedIps.join(" ")} --destination-ports 443 --ip-protocols TCP`,
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};
