import { KUBELET_401 } from "../core/plan/remediation";
import { StackValidationPolicy } from "@pulumi/policy";
import { servicePrincipalSecret } from "../core/identity/drift";
import { UNKNOWN } from "../core/stack/values";
import { PolicyConfigError } from "./lib/config";
import { day, SP_SECRET_STEPS, SP_SECRET_URL, spSecretFix } from "./lib/sp-secret";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides } from "./lib/guide";

const NAME = "aks-sp-secret-expiring";
const DAY_MS = 86_400_000;

export const aksSpSecretExpiring: StackValidationPolicy = {
  name: NAME,
  description:
    "The secret of a service-principal cluster expires within warnWithinDays days: rotate it before the kubelet starts failing.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: SP_SECRET_URL,
  remediationSteps: SP_SECRET_STEPS,
  configSchema: {
    properties: {
      warnWithinDays: {
        type: "integer",
        minimum: 1,
        maximum: 3650,
        default: 30,
        description: "Warn this many days before the secret expires.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const days = args.getConfig<Record<string, unknown>>().warnWithinDays ?? 30;
    if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 3650) {
      throw new PolicyConfigError(NAME, "warnWithinDays", days, "an integer number of days from 1 to 3650");
    }
    const topo = topologyOf(args.resources);
    const now = Date.now();
    let pending: string | undefined;
    for (const cluster of topo.clusters) {
      const secret = servicePrincipalSecret(topo, cluster);
      if (secret === UNKNOWN) pending ??= `${cluster.res.name}: service principal credentials`;
      if (!secret || secret === UNKNOWN) continue;
      const left = (secret.end.getTime() - now) / DAY_MS;
      if (left <= 0 || left > days) continue; // expired: aks-sp-secret-valid's finding
      reportViolation(
        `The secret of the ${cluster.identity.label} of cluster '${cluster.label}' expires on ${day(secret.end)}, in ${Math.ceil(left)} ` +
          `day(s) (${secret.source}); from then pods fail with "401 Unauthorized" pulling images. Rotate it now.\n` +
          spSecretFix(cluster),
        cluster.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: the service principal's secret expires soon (solution 2)",
    left: {
      why: "a service principal's secret lives in Microsoft Entra ID; no declaration of this program renews it",
      config: "none: reset the secret before it expires (the command below)",
    },
  },
};
