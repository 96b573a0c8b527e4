import { cmd } from "../core/findings/fix";
import { StackValidationPolicy } from "@pulumi/policy";
import { excessGrants } from "../core/identity/grants";
import { pullPairs } from "../core/stack/pull-pairs";
import { declaredPulls, PULLS_SCHEMA } from "./lib/config";
import { topologyOf } from "./lib/stack";
import { Guides } from "./lib/guide";

const NAME = "aks-acr-least-privilege";

export const aksAcrLeastPrivilege: StackValidationPolicy = {
  name: NAME,
  description:
    "The identity the kubelet pulls with holds no more than it needs on the registry: AcrPull is enough, " +
    "Owner, Contributor and AcrPush let a compromised node push, overwrite or delete images.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-roles",
  remediationSteps:
    "Assign AcrPull at the registry (aks-acr-guard's AcrPullAccess), then remove the broader assignment with " +
    "`az role assignment delete --ids <assignment-id>`.",
  configSchema: { properties: { pulls: PULLS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    for (const pair of pullPairs(topo, declaredPulls(NAME, args.getConfig<Record<string, unknown>>()))) {
      for (const { assignment, role } of excessGrants(topo, pair)) {
        const id = typeof assignment.res.props.id === "string" ? assignment.res.props.id : "<assignment-id>";
        reportViolation(
          `The ${pair.cluster.identity.label} of cluster '${pair.cluster.label}' holds ${role} on registry ` +
            `'${pair.registry.label}' (role assignment '${assignment.res.name}'${typeof assignment.scope === "string" ? ` at ${assignment.scope}` : ""}): ` +
            "it only pulls, and a compromised node could push, overwrite or delete images.\n" +
            "Fix: declare aks-acr-guard's AcrPullAccess (AcrPull at the registry scope), then remove the broader " +
            `assignment from the stack, or run: ${cmd(`az role assignment delete --ids ${id}`)}`,
          pair.cluster.res.urn,
        );
      }
    }
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    cause: "Hygiene: more than AcrPull",
    left: {
      why: "the broader role assignment is not the program's; removing someone's grant is left to its owner",
      config: "none",
    },
  },
};
