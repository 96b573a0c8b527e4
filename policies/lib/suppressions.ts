/**
 * The pack's half of suppressions (core/findings/suppressions.ts): each policy takes a `suppressions` config
 * ([{resource, reason, expires}]) and reports nothing on a resource a suppression in force names. A
 * finding whose suppression has expired is reported with a line that says so. Which suppressions
 * match nothing only a whole run can tell: the CLI reports those.
 */
import type {
  Policy,
  ReportViolation,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import {
  expiredNote,
  judgeSuppressions,
  parseSuppressions,
  Suppression,
  DATE,
  SuppressionTarget,
} from "../../core/findings/suppressions";
import { topologyOf } from "./stack";

/** The JSON schema of one policy's `suppressions` config (the policy is the config's key). */
const SUPPRESSIONS_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Findings of this policy accepted for a reason until a date: [{resource (ARM id, URN or name), reason, " +
    "expires (YYYY-MM-DD)}]. An expired suppression hides nothing and says so in the finding.",
  items: {
    type: "object",
    properties: {
      resource: { type: "string", minLength: 1 },
      reason: { type: "string", minLength: 1 },
      expires: { type: "string", pattern: DATE.source },
    },
    required: ["resource", "reason", "expires"],
    additionalProperties: false,
  },
  default: [],
};

interface Reported {
  message: string;
  urn?: string;
}

function suppressionsOf(policy: string, config: Record<string, unknown>): Suppression[] {
  if (config.suppressions === undefined) return [];
  return parseSuppressions(config.suppressions, `policy '${policy}': config 'suppressions'`, { policy });
}

/** Reports what the suppressions leave, an expired one's finding with its note. */
function flush(
  reported: Reported[],
  suppressions: Suppression[],
  targetOf: (r: Reported) => SuppressionTarget,
  report: ReportViolation,
): void {
  const v = judgeSuppressions(reported, suppressions, targetOf, new Date());
  for (const r of v.kept) {
    const notes = v.expired.filter((e) => e.finding === r).map((e) => expiredNote(e.by));
    report([r.message, ...notes].join("\n"), r.urn);
  }
}

function idOf(props: Record<string, unknown> | undefined): string | undefined {
  return typeof props?.id === "string" ? props.id : undefined;
}

/** Runs `validate` with its reports held back, then reports what the suppressions leave. */
async function held(
  validate: (report: ReportViolation) => Promise<void> | void,
  suppressions: Suppression[],
  targetOf: (r: Reported) => SuppressionTarget,
  report: ReportViolation,
): Promise<void> {
  const reported: Reported[] = [];
  try {
    await validate((message, urn) => reported.push({ message, urn }));
  } finally {
    // What was reported before a value that waits on preview is still reported.
    flush(reported, suppressions, targetOf, report);
  }
}

/** The policy, with `suppressions` in its config schema and honoured. */
export function honouringSuppressions(policy: Policy): Policy {
  const name = policy.name;
  const configSchema = {
    ...policy.configSchema,
    properties: { ...policy.configSchema?.properties, suppressions: SUPPRESSIONS_SCHEMA },
  };
  const stack = policy as StackValidationPolicy;
  if (typeof stack.validateStack === "function") {
    const validate = stack.validateStack;
    return {
      ...stack,
      configSchema,
      validateStack: (args, report) => {
        const suppressions = suppressionsOf(name, args.getConfig<Record<string, unknown>>());
        if (suppressions.length === 0) return validate(args, report);
        // The stack as the policies read it (read once per request where shared-stack.ts does).
        const byUrn = topologyOf(args.resources).byUrn;
        return held(
          (r) => validate(args, r),
          suppressions,
          ({ urn }) => {
            const r = urn === undefined ? undefined : byUrn.get(urn);
            return { policy: name, urn, name: r?.name ?? urn?.split("::").pop(), id: idOf(r?.props) };
          },
          report,
        );
      },
    } as StackValidationPolicy;
  }
  const resource = policy as ResourceValidationPolicy;
  const validations: ResourceValidation[] = Array.isArray(resource.validateResource)
    ? resource.validateResource
    : resource.validateResource
      ? [resource.validateResource]
      : [];
  return {
    ...resource,
    configSchema,
    ...(validations.length > 0
      ? {
          validateResource: validations.map((validate): ResourceValidation => (args, report) => {
            const suppressions = suppressionsOf(name, args.getConfig<Record<string, unknown>>());
            if (suppressions.length === 0) return validate(args, report);
            return held(
              (r) => validate(args, r),
              suppressions,
              ({ urn }) => ({ policy: name, urn: urn ?? args.urn, name: args.name, id: idOf(args.props) }),
              report,
            );
          }),
        }
      : {}),
  } as ResourceValidationPolicy;
}
