import { pairPolicies } from "./lib/pair-check";

const NAME = "aks-acr-hub-firewall";

export const [aksAcrHubFirewall, aksAcrHubFirewallUnverified] = pairPolicies({
  name: NAME,
  description:
    "When a cluster's egress goes through a hub firewall (outboundType: userDefinedRouting) that the stack declares, a " +
    "network rule lets the cluster subnets reach the registry's private-endpoint IPs on TCP 443, or an application rule " +
    "allows the registry's FQDNs.",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-2-use-azure-firewall",
  remediationSteps:
    "Allow the cluster subnets to the private-endpoint IPs on TCP 443 (aks-acr-guard's HubFirewallRegistryRule, or " +
    "`az network firewall policy rule-collection-group collection add-filter-collection ... --rule-type NetworkRule " +
    "--destination-ports 443 --ip-protocols TCP`).",
  unverifiedCases: "firewall rules that name IP groups the stack does not show",
});
