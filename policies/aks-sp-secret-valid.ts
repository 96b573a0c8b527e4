import { StackValidationPolicy } from "@pulumi/policy";
import { spSecretValid } from "../core/path/identity";
import { SP_SECRET_STEPS, SP_SECRET_URL } from "./lib/sp-secret";
import { deferToPreview, topologyOf } from "./lib/stack";

export const aksSpSecretValid: StackValidationPolicy = {
  name: "aks-sp-secret-valid",
  description:
    "The secret of a service-principal cluster has not expired: once it has, the kubelet cannot authenticate to the registry.",
  enforcementLevel: "mandatory",
  severity: "critical",
  url: SP_SECRET_URL,
  remediationSteps: SP_SECRET_STEPS,
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    const now = new Date();
    let pending: string | undefined;
    for (const cluster of topo.clusters) {
      const h = spSecretValid(topo, cluster, now);
      pending ??= h?.pending;
      for (const m of h?.fails ?? []) reportViolation(m, cluster.res.urn);
    }
    if (pending) deferToPreview(pending);
  },
};
