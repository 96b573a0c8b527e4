import { KUBELET_401 } from "../core/plan/remediation";
import { StackValidationPolicy } from "@pulumi/policy";
import { spSecretValid } from "../core/path/identity";
import { SP_SECRET_STEPS, SP_SECRET_URL } from "./lib/sp-secret";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides } from "./lib/guide";

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

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  "aks-sp-secret-valid": {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: the service principal's secret has expired (solution 2)",
    steps: ["authenticate"],
    left: {
      why: "a service principal's secret lives in Microsoft Entra ID; no declaration of this program renews it",
      config:
        "none: reset the secret and update the cluster (the command below), or move the cluster to a managed identity",
    },
  },
};
