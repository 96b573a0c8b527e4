import { pairPolicies } from "./lib/pair-check";

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
