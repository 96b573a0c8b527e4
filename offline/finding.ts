/**
 * A finding as the reports carry it (docs/report-schema.md), and the suppressions that hide one or
 * need review: the shapes the report, the left findings, the suppressions and the CI formats share,
 * apart from the modules that build them so none imports another back.
 */
import type { FindingFix } from "../core/findings/fix";
import type { Suppression } from "../core/findings/suppressions";

export interface Finding {
  policy: string;
  level: string;
  cause: string;
  /** The ARM id of the resource at fault, or `namespace/name` for a Kubernetes object. */
  resourceId: string;
  /** Its type and name, as a person reads it. */
  resource: string;
  /** The Pulumi URN the finding is reported on. */
  urn: string;
  /** What the kubelet prints for it, as the policy's guide declares it (none for hygiene). */
  symptom?: string;
  /** The message without its Fix line: what is wrong, on which resource. */
  detail: string;
  /** The message's Fix line, read as core/findings/fix.ts writes it, with the policy's documentation. */
  fix?: FindingFix & { docs?: string };
  /** The whole message, as the engine prints it. */
  message: string;
}

export interface SuppressedFinding extends Finding {
  reason: string;
  expires: string;
}

export interface StaleSuppression extends Suppression {
  /** `expired`: past its date (its finding, if any, is reported again); `unmatched`: no finding is on it. */
  problem: "expired" | "unmatched";
}

/** How a stale suppression reads in a report. */
export function staleLine(s: StaleSuppression): string {
  return s.problem === "expired"
    ? `${s.policy} on ${s.resource}: expired on ${s.expires} ("${s.reason}"); its finding is reported again`
    : `${s.policy} on ${s.resource}: matches no finding ("${s.reason}", until ${s.expires}); remove it, or name the resource by its ARM id, URN or name`;
}

/**
 * A report's counts: mandatory and advisory findings, and the mandatory ones left after the plan
 * (`after`: preview's findings with the plan applied; diagnose has none, so its findings).
 */
export function summaryOf(
  findings: readonly Finding[],
  after?: readonly Finding[],
): { mandatory: number; advisory: number; mandatoryAfter: number } {
  const count = (fs: readonly Finding[], level: string) => fs.filter((f) => f.level === level).length;
  return {
    mandatory: count(findings, "mandatory"),
    advisory: count(findings, "advisory"),
    mandatoryAfter: count(after ?? findings, "mandatory"),
  };
}
