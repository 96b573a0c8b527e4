import { StackValidationPolicy } from "@pulumi/policy";
import { parseCidr } from "../core/cidr";
import { applicationAllows, clusterSubnetInfo, firewallRules, networkAllows } from "../core/firewall";
import { privateEndpointsOf } from "../core/network";
import { pullPairs } from "../core/pull-pairs";
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
    for (const { cluster, registry } of pullPairs(
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
      if (fqdns.length > 0 && applicationAllows(rules.application, sources, fqdns)) continue;
      const pes = privateEndpointsOf(topo, registry);
      const ips = pes.flatMap((pe) => pe.ips);
      if (pes.length === 0 || ips.length === 0) continue; // public path, or IPs the stack does not show
      const blocked = ips.filter((ip) => {
        const addr = parseCidr(ip);
        return addr !== undefined && !networkAllows(rules.network, sources, addr);
      });
      if (blocked.length === 0) continue;
      const subnetList = sources.map((s) => s.raw).join(" ");
      reportViolation(
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' will fail with ErrImagePull: "dial tcp ` +
          `${blocked[0]}:443: i/o timeout": its egress goes through the hub firewall (outboundType: userDefinedRouting), and no ` +
          `network rule allows its subnets (${sources.map((s) => s.raw).join(", ")}) to the private-endpoint ` +
          `${blocked.length > 1 ? "IPs" : "IP"} ${blocked.join(", ")} on TCP 443, nor an application rule ${fqdns.join(" and ")} ` +
          "(Microsoft's article, cause 4, solution 2).\n" +
          "Fix: declare aks-acr-guard's HubFirewallRegistryRule, or run: az network firewall policy rule-collection-group " +
          "collection add-filter-collection -g <firewall-group> --policy-name <policy> --rule-collection-group-name <group> " +
          `-n allow-acr --action Allow --collection-priority 200 --rule-name ${name ?? "acr"} --rule-type NetworkRule ` +
          `--source-addresses ${subnetList} --destination-addresses ${blocked.join(" ")} --destination-ports 443 --ip-protocols TCP`,
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};
