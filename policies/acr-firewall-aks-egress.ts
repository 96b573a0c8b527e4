import { notCovered } from "../core/cidr";
import { clusterEgress, ipRuleValues, reachesPrivateEndpoint } from "../core/egress";
import { privateEndpointsOf } from "../core/network";
import { parseArmId, resourceName } from "../core/arm-id";
import { listOf, readArray, readString, known, UNKNOWN } from "../core/values";
import { ipv4List, ipv4ListSchema } from "./lib/config";
import { pairPolicies } from "./lib/pair-check";

const NAME = "acr-firewall-aks-egress";
const nameOfId = (id: string) => {
  const parsed = parseArmId(id);
  return (parsed && resourceName(parsed)) ?? id;
};
const SYMPTOM_403 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden"';

export const [acrFirewallAksEgress, acrFirewallAksEgressUnverified] = pairPolicies({
  name: NAME,
  description:
    "A registry whose public access is restricted (networkRuleSet.defaultAction: Deny) admits the egress IPs of every " +
    "cluster that reaches it over the public path; a registry with public access disabled has a private endpoint the cluster reaches.",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-2-add-the-aks-load-balancers-public-ip-address-to-the-allowed-ip-address-range-of-the-container-registry",
  remediationSteps:
    "Admit the cluster's egress IPs (aks-acr-guard's RegistryEgressAccess, or `az acr network-rule add -n <registry> " +
    "--ip-address <egress-ip>`), or give the cluster a private endpoint it can reach.",
  unverifiedCases: "registries reached through private endpoints the stack does not show",
  config: {
    egressIps: ipv4ListSchema(
      "Egress IPs the stack cannot show (e.g. a firewall managed elsewhere), checked as the cluster's.",
    ),
  },
  judgeFor: (topo, config) => {
    const extra = ipv4List(NAME, config, "egressIps");
    return ({ cluster, registry }, will) => {
      const none = { fails: [] as string[] };
      const wait = (pending: string) => ({ fails: [] as string[], pending });
      const props = registry.res.props;
      const defaultAction = readString(props, "networkRuleSet", "defaultAction");
      const publicAccess = readString(props, "publicNetworkAccess");
      if (defaultAction === UNKNOWN || publicAccess === UNKNOWN)
        return wait(`${registry.res.name}: networkRuleSet`);
      const disabled = known(publicAccess) && publicAccess.toLowerCase() === "disabled";
      const denies = known(defaultAction) && defaultAction.toLowerCase() === "deny";
      if (!disabled && !denies) return none;
      const pes = privateEndpointsOf(topo, registry);
      const reach = reachesPrivateEndpoint(topo, cluster, pes, readString(props, "id"));
      if (reach === true) return none;
      if (reach === UNKNOWN) return wait(`${cluster.res.name}: the path to the registry's private endpoints`);
      // The registry's own record lists its private endpoint connections: one to an endpoint this
      // stack does not show (a networking stack's) may be the cluster's path. Mandatory means certain.
      const connections = readArray(props, "privateEndpointConnections");
      if (connections === UNKNOWN) return wait(`${registry.res.name}: privateEndpointConnections`);
      const shown = new Set(pes.map((pe) => String(readString(pe.res.props, "id")).toLowerCase()));
      const outside = listOf(connections)
        .map((c) => readString(c, "privateEndpoint", "id"))
        .filter((id): id is string => typeof id === "string" && !shown.has(id.toLowerCase()));
      if (outside.length > 0) {
        return {
          fails: [],
          unsure: [
            `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403} unless one of the ` +
              `registry's private endpoints this stack does not show (${outside.map((id) => `'${nameOfId(id)}'`).join(", ")}) ` +
              `is reachable from the cluster's VNet: the registry refuses public access (${disabled ? "publicNetworkAccess: Disabled" : "defaultAction: Deny"}) ` +
              "and no endpoint this stack shows is in, or peered with, that VNet.\n" +
              "Fix: to make this certain, declare aks-acr-guard's AksAcrObserver for the cluster and the registry (it reads the " +
              "registry's private endpoints, their VNets and peerings); " +
              `check from a node: nslookup ${registry.label}.azurecr.io should answer a private IP reachable from the cluster.`,
          ],
        };
      }
      if (disabled) {
        return {
          fails: [
            `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403}: the registry's ` +
              `public network access is Disabled and ${pes.length ? "none of its private endpoints is in, or peered with, the cluster's VNet" : "it has no private endpoint in this stack"}.\n` +
              "Fix: give the cluster a private path (a private endpoint in or peered with its VNet: aks-acr-guard's VnetPeeringPair " +
              `and PrivateRegistryDns), or open selected networks: az acr update -n ${registry.label} --public-network-enabled true ` +
              `--default-action Deny, then az acr network-rule add -n ${registry.label} --ip-address <egress-ip>`,
          ],
        };
      }
      const egress = clusterEgress(topo, cluster);
      if (egress === UNKNOWN) return wait(`${cluster.res.name}: egress IPs`);
      const ips = [...(egress?.ips ?? []), ...extra];
      if (ips.length === 0) return none; // the stack shows no egress IP to check
      const rules = readArray(props, "networkRuleSet", "ipRules");
      if (rules === UNKNOWN) return wait(`${registry.res.name}: networkRuleSet.ipRules`);
      const refused = notCovered(ips, ipRuleValues(rules ?? []));
      if (refused.length === 0) return none;
      return {
        fails: [
          `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403}: the registry ` +
            `refuses public access (defaultAction: Deny) and its IP rules do not admit the cluster's egress ` +
            `${refused.length > 1 ? "IPs" : "IP"} ${refused.join(", ")} (${egress ? `outboundType ${egress.outboundType}: ${egress.source}` : "config egressIps"}) ` +
            "(Microsoft's article, cause 3, solution 2).\n" +
            `Fix: declare aks-acr-guard's RegistryEgressAccess, or run: ${refused.map((ip) => `az acr network-rule add -n ${registry.label} --ip-address ${ip}`).join(" && ")}`,
        ],
      };
    };
  },
});
