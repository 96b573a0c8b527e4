import { KUBELET_401 } from "../core/plan/remediation";
import { StackValidationPolicy } from "@pulumi/policy";
import { kubeletOnScaleSets } from "../core/path/identity";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides } from "./lib/guide";

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
      const h = kubeletOnScaleSets(topo, cluster);
      pending ??= h?.pending;
      for (const m of h?.fails ?? []) reportViolation(m, cluster.res.urn);
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  "aks-kubelet-identity-on-vmss": {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: the kubelet identity is missing from the node pools (solution 4)",
    steps: ["authenticate"],
    left: {
      why: "AKS owns the node pools' scale sets; only AKS can put the kubelet identity back on them",
      config: "none: reconcile the cluster (the command below)",
    },
  },
};
