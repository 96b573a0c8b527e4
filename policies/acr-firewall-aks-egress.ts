import { SYMPTOM_403 } from "../core/path/hop";
import { pairPolicies } from "./lib/pair-check";
import { Guides, NS, PULLS, REGISTRY_OWNED, UNVERIFIED } from "./lib/guide";

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

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: SYMPTOM_403,
    cause: "403 Forbidden: the registry's network rules refuse the cluster (solution 2)",
    steps: ["admit"],
    left: {
      why: `${REGISTRY_OWNED}; the program prints the network-rule commands instead (RegistryEgressAccess)`,
      config: `${NS}:egressIps adds egress IPs the records do not show (an appliance's) to those commands`,
    },
  },
  [`${NAME}-unverified`]: {
    symptom: SYMPTOM_403,
    cause: "403 Forbidden: the registry's network rules, where the stack cannot show the path (unverified)",
    left: { why: UNVERIFIED, config: PULLS },
  },
};
