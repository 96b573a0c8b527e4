import { SYMPTOM_403 } from "../core/path/hop";
import { pairPolicies } from "./lib/pair-check";
import { Guides, NS, PULLS } from "./lib/guide";

const NAME = "acr-private-dns-link";
const URL =
  "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-1-make-sure-the-aks-virtual-network-link-is-set-in-the-container-registrys-private-dns-zone";
const REMEDIATION =
  "Link the zone to the VNet that resolves the cluster's names (aks-acr-guard's PrivateRegistryDns, or `az network private-dns " +
  "link vnet create -g <zone-group> -z privatelink.azurecr.io -n <link> -v <vnet-id> -e false`): the cluster's VNet, or the " +
  "VNet of the custom DNS servers it uses; and give the private endpoint a DNS zone group.";

export const [acrPrivateDnsLink, acrPrivateDnsLinkUnverified] = pairPolicies({
  name: NAME,
  description:
    "A registry reached through a private endpoint: the privatelink.azurecr.io private DNS zone that serves it is linked " +
    "to every VNet that resolves a pulling cluster's names (the cluster's VNet, or the VNet of the custom DNS servers it " +
    "uses), and holds A records for the registry and its regional data endpoint.",
  unverifiedCases:
    "clusters whose VNet resolves names through custom DNS servers in no VNet the stack shows (whether they answer " +
    "privatelink.azurecr.io from the registry's zone is not known here)",
  severity: "high",
  url: URL,
  remediationSteps: REMEDIATION,
});

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: SYMPTOM_403,
    cause:
      "403 Forbidden (or i/o timeout): the private DNS zone does not send the cluster to the private endpoint (not linked, records missing or stale)",
    steps: ["resolve"],
    left: {
      why:
        "the program links the zone it finds through the endpoint's DNS zone group, or the privatelink.azurecr.io " +
        "zones of the cluster's, registry's and endpoint VNets' subscriptions; it found none it can link",
      config: `${NS}:privateDnsZoneId (the privatelink.azurecr.io zone the cluster's names resolve in)`,
    },
  },
  [`${NAME}-unverified`]: {
    symptom: SYMPTOM_403,
    cause: "403 Forbidden: the private DNS path, where the stack cannot show it (unverified)",
    left: {
      why: "the cluster's VNet resolves names through DNS servers the records do not show, so which zone answers is not known",
      config: `${PULLS}; the DNS servers' VNet in the recording (or a zone link from it)`,
    },
  },
};
