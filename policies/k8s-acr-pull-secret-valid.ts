import { KUBELET_401 } from "../core/plan/remediation";
import { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { PULL_SECRET_POLICY, PullSecretFinding, pullSecretFindings } from "../core/path/pull-secret";
import { deferToPreview, Evaluation, topologyOf } from "./lib/stack";
import { Guides, NS } from "./lib/guide";

const NAME = PULL_SECRET_POLICY;

const DESCRIPTION =
  "An image pull secret for an Azure registry works: built from the admin account only while it is enabled and with its " +
  "current password, from a service principal that exists, has not expired, and may pull, from a repository-scoped token " +
  "that exists, is enabled and has a live password (where the registry's tokens are known), or from a Microsoft Entra " +
  "token that has not expired. Secret values are never shown.";
const URL =
  "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-5-make-sure-the-service-principal-is-correct-and-the-secret-is-valid";
const STEPS =
  "Rebuild the secret from live credentials each run (aks-acr-guard's AcrImagePullSecret), or drop it and pull with the " +
  "kubelet identity (`az aks update --attach-acr`).";

export const k8sAcrPullSecretValid: StackValidationPolicy = {
  name: NAME,
  description:
    `${DESCRIPTION} The kubelet tries a pod's pull secrets and then its own credential: a broken secret fails the pull ` +
    "where the cluster it runs in cannot pull from the registry with its kubelet identity either.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: URL,
  remediationSteps: STEPS,
  validateStack: (args, reportViolation) => {
    const { certain, pending } = evaluate(args);
    for (const f of certain) reportViolation(f.message, f.urn);
    if (pending) deferToPreview(pending);
  },
};

export const k8sAcrPullSecretValidUnverified: StackValidationPolicy = {
  name: `${NAME}-unverified`,
  description:
    `${NAME}, where the pull fails only if the kubelet's own credential cannot pull either, and the stack does not show ` +
    "whether it can (no cluster tied to the secret, or a pull role it cannot decide). Organisations that pull only with " +
    "secrets set it mandatory.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: URL,
  remediationSteps: STEPS,
  validateStack: (args, reportViolation) => {
    for (const f of evaluate(args).unverified) reportViolation(f.message, f.urn);
  },
};

/** The findings, decided once per request for both halves (core/path/pull-secret.ts). */
function evaluate(args: StackValidationArgs): Evaluation {
  const found = pullSecretFindings(topologyOf(args.resources));
  const on = (f: PullSecretFinding) => ({ message: f.message, urn: f.res.urn });
  return { certain: found.certain.map(on), unverified: found.unverified.map(on), pending: found.pending };
}

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: the image pull secret is wrong (solutions 5 and 6)",
    steps: ["authenticate"],
    left: {
      why: "the pull secret the workload names is declared outside this program",
      config:
        `${NS}:pullSecretNamespace declares a pull secret built from live credentials in that namespace; ` +
        "or pull with the kubelet identity and remove imagePullSecrets",
    },
  },
  [`${NAME}-unverified`]: {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: the image pull secret is wrong (solutions 5 and 6)",
    left: {
      why:
        "the secret fails the pull only if the kubelet identity of its cluster cannot pull either, which the records do not " +
        "show; the program does not guess a fix for it",
      config: `${NS}:pullSecretNamespace declares a working pull secret; or grant the kubelet identity a pull role (the program's AcrPullAccess)`,
    },
  },
};
