import { pairPolicies } from "./lib/pair-check";
import { Guides, PULLS, UNVERIFIED } from "./lib/guide";

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

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: 'ErrImagePull: "dial tcp <private-endpoint-ip>:443: i/o timeout"',
    cause:
      "443 i/o timeout: no route to the private endpoint (VNets not peered, connection not Approved; solution 1)",
    steps: ["route"],
    left: {
      why:
        "the private path is someone else's to fix: a peering they manage that is not Connected (deleted and recreated " +
        "on their side), or a private endpoint connection only the registry's owner approves",
      config: "none: the commands below do it, run by who owns the peering or the registry",
    },
  },
  [`${NAME}-unverified`]: {
    symptom: 'ErrImagePull: "dial tcp <private-endpoint-ip>:443: i/o timeout"',
    cause: "443 i/o timeout: VNet peering, on registries the stack cannot tie to the cluster (unverified)",
    left: { why: UNVERIFIED, config: PULLS },
  },
};
