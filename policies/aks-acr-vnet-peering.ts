import { pairPolicies } from "./lib/pair-check";

const NAME = "aks-acr-vnet-peering";

export const [aksAcrVnetPeering, aksAcrVnetPeeringUnverified] = pairPolicies({
  name: NAME,
  description:
    "When the registry's private endpoint sits in another VNet than the cluster, the two VNets are peered in both " +
    "directions and both peerings are Connected.",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-1-make-sure-virtual-network-peering-is-used",
  remediationSteps:
    "Peer the VNets both ways (aks-acr-guard's VnetPeeringPair, or `az network vnet peering create` in each VNet with " +
    "--allow-vnet-access); a Disconnected peering must be deleted and recreated on both sides.",
});
