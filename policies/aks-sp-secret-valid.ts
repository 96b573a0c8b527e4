import { StackValidationPolicy } from "@pulumi/policy";
import { servicePrincipalSecret } from "../core/drift";
import { KUBELET_401 } from "../core/remediation";
import { UNKNOWN } from "../core/values";
import { day, SP_SECRET_STEPS, SP_SECRET_URL, spSecretFix } from "./lib/sp-secret";
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
      const secret = servicePrincipalSecret(topo, cluster);
      if (secret === UNKNOWN) pending ??= `${cluster.res.name}: service principal credentials`;
      if (!secret || secret === UNKNOWN || secret.end > now) continue;
      reportViolation(
        `Pods on cluster '${cluster.label}' fail with ${KUBELET_401}: the secret of its ${cluster.identity.label} expired on ` +
          `${day(secret.end)} (${secret.exact ? secret.source : `every credential it has has ended; the last to end was ${secret.source}`}).\n` +
          spSecretFix(cluster),
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};
