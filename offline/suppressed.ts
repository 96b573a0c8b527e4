/**
 * The CLI's half of suppressions (core/findings/suppressions.ts): `--suppressions FILE` hides the findings a
 * team accepted from the report and the gate, lists them as suppressed, and reports each suppression
 * that has expired or matches no finding.
 */
import * as fs from "node:fs";
import {
  judgeSuppressions,
  parseSuppressions,
  requirePackPolicy,
  Suppression,
  SuppressionError,
  SuppressionTarget,
} from "../core/findings/suppressions";
import { leftFindings } from "./left";
import { type Finding, type StaleSuppression, summaryOf, type SuppressedFinding } from "./finding";
import type { Report } from "./report";

export function readSuppressions(file: string): Suppression[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new SuppressionError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SuppressionError(file, `is not JSON (${(e as Error).message})`);
  }
  return parseSuppressions(value, file);
}

/** Refuses suppressions of a policy the pack does not have, once the pack has said which it has (after the file is read). */
export function requirePackPolicies(
  file: string,
  suppressions: readonly Suppression[],
  policies: readonly string[],
): void {
  suppressions.forEach((s, i) => requirePackPolicy(`${file}[${i}]`, s.policy, policies));
}

function targetOf(f: Finding): SuppressionTarget {
  return { policy: f.policy, urn: f.urn, name: f.urn.split("::").pop(), id: f.resourceId };
}

/**
 * The report with the suppressions applied, as of `now`: the findings they hide (before the plan and
 * after it) move to `suppressed`/`suppressedAfter`, the counts and the left findings follow, and the
 * suppressions that expired or match no finding are in `stale`.
 */
export function applySuppressions(report: Report, suppressions: readonly Suppression[], now: Date): Report {
  const found = judgeSuppressions(report.findings, suppressions, targetOf, now);
  const after = judgeSuppressions(report.after, suppressions, targetOf, now);
  const hidden = (v: typeof found): SuppressedFinding[] =>
    v.suppressed.map(({ finding, by }) => ({ ...finding, reason: by.reason, expires: by.expires }));
  // A suppression is stale when no finding, before the plan or after it, is on it.
  const matched = new Set<Suppression>(
    [...found.suppressed, ...found.expired, ...after.suppressed, ...after.expired]
      .filter((m) => m.finding !== undefined)
      .map((m) => m.by),
  );
  const stale: StaleSuppression[] = suppressions.flatMap((s): StaleSuppression[] => {
    if ([...found.expired, ...after.expired].some((e) => e.by === s)) return [{ ...s, problem: "expired" }];
    return matched.has(s) ? [] : [{ ...s, problem: "unmatched" }];
  });
  return {
    ...report,
    findings: found.kept,
    after: after.kept,
    left: report.command === "preview" ? leftFindings(after.kept, report.commands) : report.left,
    suppressed: hidden(found),
    suppressedAfter: hidden(after),
    stale,
    summary: summaryOf(found.kept, report.command === "preview" ? after.kept : undefined),
  };
}
