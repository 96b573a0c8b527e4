import { StackValidationPolicy } from "@pulumi/policy";
import { notCovered } from "../core/cidr";
import { clusterEgress, ipRuleValues, reachesPrivateEndpoint } from "../core/egress";
import { privateEndpointsOf } from "../core/network";
import { certainPullPairs } from "../core/pull-pairs";
import { listOf, readArray, readString, known, UNKNOWN } from "../core/values";
import { declaredPulls, ipv4List, ipv4ListSchema, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "acr-firewall-aks-egress";
const SYMPTOM_403 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden"';

export const acrFirewallAksEgress: StackValidationPolicy = {
  name: NAME,
  description:
    "A registry whose public access is restricted (networkRuleSet.defaultAction: Deny) admits the egress IPs of every " +
    "cluster that reaches it over the public path; a registry with public access disabled has a private endpoint the cluster reaches.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-2-add-the-aks-load-balancers-public-ip-address-to-the-allowed-ip-address-range-of-the-container-registry",
  remediationSteps:
    "Admit the cluster's egress IPs (aks-acr-guard's RegistryEgressAccess, or `az acr network-rule add -n <registry> " +
    "--ip-address <egress-ip>`), or give the cluster a private endpoint it can reach.",
  configSchema: {
    properties: {
      pulls: PULLS_SCHEMA,
      egressIps: ipv4ListSchema(
        "Egress IPs the stack cannot show (e.g. a firewall managed elsewhere), checked as the cluster's.",
      ),
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<Record<string, unknown>>();
    const extra = ipv4List(NAME, config, "egressIps");
    const topo = topologyOf(args.resources);
    let pending: string | undefined;
    for (const { cluster, registry } of certainPullPairs(topo, declaredPulls(NAME, config))) {
      const props = registry.res.props;
      const defaultAction = readString(props, "networkRuleSet", "defaultAction");
      const publicAccess = readString(props, "publicNetworkAccess");
      if (defaultAction === UNKNOWN || publicAccess === UNKNOWN) {
        pending ??= `${registry.res.name}: networkRuleSet`;
        continue;
      }
      const disabled = known(publicAccess) && publicAccess.toLowerCase() === "disabled";
      const denies = known(defaultAction) && defaultAction.toLowerCase() === "deny";
      if (!disabled && !denies) continue;
      const pes = privateEndpointsOf(topo, registry);
      const reach = reachesPrivateEndpoint(topo, cluster, pes, readString(props, "id"));
      if (reach === true) continue;
      if (reach === UNKNOWN) {
        pending ??= `${cluster.res.name}: the path to the registry's private endpoints`;
        continue;
      }
      // The registry's own record lists its private endpoint connections: one to an endpoint this
      // stack does not show (a networking stack's) may be the cluster's path. Mandatory means certain.
      const connections = readArray(props, "privateEndpointConnections");
      if (connections === UNKNOWN) {
        pending ??= `${registry.res.name}: privateEndpointConnections`;
        continue;
      }
      const shown = new Set(pes.map((pe) => String(readString(pe.res.props, "id")).toLowerCase()));
      const outside = listOf(connections).some((c) => {
        const id = readString(c, "privateEndpoint", "id");
        return typeof id === "string" && !shown.has(id.toLowerCase());
      });
      if (outside) continue;
      if (disabled) {
        reportViolation(
          `Pods on cluster '${cluster.label}' pulling from '${registry.label}' will fail with ${SYMPTOM_403}: the registry's ` +
            `public network access is Disabled and ${pes.length ? "none of its private endpoints is in, or peered with, the cluster's VNet" : "it has no private endpoint in this stack"}.\n` +
            "Fix: give the cluster a private path (a private endpoint in or peered with its VNet: aks-acr-guard's VnetPeeringPair " +
            `and PrivateRegistryDns), or open selected networks: az acr update -n ${registry.label} --public-network-enabled true ` +
            `--default-action Deny, then az acr network-rule add -n ${registry.label} --ip-address <egress-ip>`,
          cluster.res.urn,
        );
        continue;
      }
      const egress = clusterEgress(topo, cluster);
      if (egress === UNKNOWN) {
        pending ??= `${cluster.res.name}: egress IPs`;
        continue;
      }
      const ips = [...(egress?.ips ?? []), ...extra];
      if (ips.length === 0) continue; // the stack shows no egress IP to check
      const rules = readArray(props, "networkRuleSet", "ipRules");
      if (rules === UNKNOWN) {
        pending ??= `${registry.res.name}: networkRuleSet.ipRules`;
        continue;
      }
      const refused = notCovered(ips, ipRuleValues(rules ?? []));
      if (refused.length === 0) continue;
      reportViolation(
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' will fail with ${SYMPTOM_403}: the registry ` +
          `refuses public access (defaultAction: Deny) and its IP rules do not admit the cluster's egress ` +
          `${refused.length > 1 ? "IPs" : "IP"} ${refused.join(", ")} (${egress ? `outboundType ${egress.outboundType}: ${egress.source}` : "config egressIps"}) ` +
          "(Microsoft's article, cause 3, solution 2).\n" +
          `Fix: declare aks-acr-guard's RegistryEgressAccess, or run: ${refused.map((ip) => `az acr network-rule add -n ${registry.label} --ip-address ${ip}`).join(" && ")}`,
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};
