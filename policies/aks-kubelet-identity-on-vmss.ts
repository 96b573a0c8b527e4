import { StackValidationPolicy } from "@pulumi/policy";
import { scaleSetsWithoutKubelet } from "../core/drift";
import { clusterArgs, KUBELET_401 } from "../core/remediation";
import { readString } from "../core/values";
import { deferToPreview, topologyOf } from "./lib/stack";

export const aksKubeletIdentityOnVmss: StackValidationPolicy = {
  name: "aks-kubelet-identity-on-vmss",
  description:
    "Every node-pool scale set of a managed-identity cluster carries the kubelet user-assigned identity; without it " +
    "the nodes cannot get a token for the registry.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-4-make-sure-the-kubelet-identity-is-referenced-in-the-aks-virtual-machine-scale-sets",
  remediationSteps:
    "Reconcile the cluster, which puts the kubelet identity back on its scale sets: `az aks update -g <group> -n <cluster>`. " +
    "Nothing to declare: AKS owns the scale sets. Consider node resource group lockdown.",
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    let pending: string | undefined;
    for (const cluster of topo.clusters) {
      const found = scaleSetsWithoutKubelet(topo, cluster);
      pending ??= found.pending;
      const kubelet = readString(cluster.res.props, "identityProfile", "kubeletidentity", "resourceId");
      for (const { scaleSetName } of found.missing) {
        reportViolation(
          `Pods on cluster '${cluster.label}' scheduled on node pool scale set '${scaleSetName}' will fail with ${KUBELET_401}: ` +
            `the scale set does not carry the kubelet identity (${typeof kubelet === "string" ? kubelet : "identityProfile.kubeletidentity.resourceId"}), ` +
            "so its nodes have no identity to pull with. AKS never removes it: something changed the scale set outside AKS " +
            "(Microsoft's article, cause 1, solution 4).\n" +
            `Fix: nothing to declare (AKS owns the scale set): reconcile with az aks update ${clusterArgs(cluster)}, and consider ` +
            `node resource group lockdown (az aks update ${clusterArgs(cluster)} --nrg-lockdown-restriction-level ReadOnly).`,
          cluster.res.urn,
        );
      }
    }
    if (pending) deferToPreview(pending);
  },
};
