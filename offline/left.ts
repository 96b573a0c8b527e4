/**
 * Why the program's plan leaves a finding: each policy's guide (declared in its own file) says why
 * no declaration of the program (AksAcrIntegration on one cluster and one registry) fixes it, and
 * the config that would let the program (or the pack) fix it. With the finding's own fix and the
 * program's commands, the preview report explains every finding it leaves.
 */
import { GUIDES } from "../policies/policies";
import type { PolicyCommand } from "../core/plan/integration";
import type { Finding } from "./finding";

/** A finding the plan leaves, with why, the config that would let the program fix it, and the fix. */
export interface LeftFinding {
  policy: string;
  level: string;
  resource: string;
  why: string;
  config: string;
  /** The program's commands for this policy (`run: ...`); else the finding's own fix (its `Fix:` line's text). */
  fix: string[];
}

export function leftFindings(after: Finding[], commands: readonly PolicyCommand[]): LeftFinding[] {
  return after.map((f) => {
    const reason = GUIDES[f.policy]?.left ?? {
      why: "no component of this program declares what this policy checks",
      config: "none",
    };
    const own = commands.filter((c) => c.policy === f.policy).map((c) => `run: ${c.command}`);
    return {
      policy: f.policy,
      level: f.level,
      resource: f.resource,
      ...reason,
      fix: own.length > 0 ? own : f.fix ? [f.fix.text] : [],
    };
  });
}
