import { pairPolicies } from "./lib/pair-check";
import { Guides, NS, PULLS } from "./lib/guide";

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

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: 'ErrImagePull: "dial tcp <registry-ip>:443: i/o timeout"',
    cause: "443 i/o timeout: the hub firewall blocks the registry (solution 2)",
    steps: ["route", "layers"],
    left: {
      why: "the program declares a hub firewall rule only for the firewall policy it is given",
      config: `${NS}:firewallPolicyId (the hub firewall policy the cluster's egress goes through)`,
    },
  },
  [`${NAME}-unverified`]: {
    symptom: 'ErrImagePull: "dial tcp <registry-ip>:443: i/o timeout"',
    cause:
      "443 i/o timeout: the hub firewall, where the stack cannot show its rules' sources or pairs (unverified)",
    left: {
      why: "the rules' sources or the pull pairs are not in the records, so the program does not guess a rule",
      config: `${PULLS}; ${NS}:firewallPolicyId`,
    },
  },
};
