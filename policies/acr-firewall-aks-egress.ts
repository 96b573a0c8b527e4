import { pairPolicies } from "./lib/pair-check";

const NAME = "acr-firewall-aks-egress";

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
});
