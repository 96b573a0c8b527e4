/**
 * Suppressions: a finding a team has accepted, for a reason and until a date. The CLI reads them
 * from a file (`--suppressions`), the pack from each policy's config (`suppressions`); both judge
 * them here. A suppression names its resource by ARM id (any casing), Pulumi URN or name; it hides
 * the policy's findings on that resource until the end of its `expires` day (UTC). An expired one
 * hides nothing and is reported; so is one that matches no finding.
 */

export interface Suppression {
  policy: string;
  /** The resource's ARM id, Pulumi URN or name, as the finding names it. */
  resource: string;
  reason: string;
  /** The last day it holds, YYYY-MM-DD (UTC). */
  expires: string;
}

export class SuppressionError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "SuppressionError";
  }
}

export const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Reads suppressions, refusing what is not one: `where` names the file or config in the error.
 * `policy` is the policy every entry belongs to (a policy's config), else each entry names its own,
 * one of `policies`.
 */
export function parseSuppressions(
  value: unknown,
  where: string,
  options: { policy?: string; policies?: readonly string[] } = {},
): Suppression[] {
  const list =
    value !== null && typeof value === "object" && !Array.isArray(value) && "suppressions" in value
      ? (value as { suppressions: unknown }).suppressions
      : value;
  if (!Array.isArray(list))
    throw new SuppressionError(where, "expected an array of {policy, resource, reason, expires}");
  const keys = options.policy
    ? ["resource", "reason", "expires"]
    : ["policy", "resource", "reason", "expires"];
  return list.map((entry, i) => {
    const at = `${where}[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw new SuppressionError(at, `expected an object {${keys.join(", ")}}`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!keys.includes(k)) throw new SuppressionError(at, `'${k}' is not one of ${keys.join(", ")}`);
    }
    for (const k of keys) {
      if (typeof e[k] !== "string" || (e[k] as string).trim() === "")
        throw new SuppressionError(at, `'${k}' must be a non-empty string`);
    }
    const policy = options.policy ?? (e.policy as string);
    if (options.policies) requirePackPolicy(at, policy, options.policies);
    const expires = e.expires as string;
    if (!validDate(expires)) throw new SuppressionError(at, `expires '${expires}' is not a date YYYY-MM-DD`);
    return { policy, resource: e.resource as string, reason: e.reason as string, expires };
  });
}

/** Refuses a suppression of a policy the pack does not have: a misspelt name would hide nothing, silently. */
export function requirePackPolicy(at: string, policy: string, policies: readonly string[]): void {
  if (!policies.includes(policy))
    throw new SuppressionError(at, `policy '${policy}' is not one of the pack's: ${policies.join(", ")}`);
}

/** Whether the suppression has run out: after the end of its `expires` day, UTC. */
export function isExpired(s: Suppression, now: Date): boolean {
  return now.getTime() >= new Date(`${s.expires}T00:00:00Z`).getTime() + 24 * 3600 * 1000;
}

/** What names a finding's resource: its URN, its name, and its ARM id where it has one. */
export interface SuppressionTarget {
  policy: string;
  urn?: string;
  name?: string;
  id?: string;
}

export function suppresses(s: Suppression, t: SuppressionTarget): boolean {
  if (s.policy !== t.policy) return false;
  if (s.resource === t.urn || s.resource === t.name) return true;
  return t.id !== undefined && s.resource.toLowerCase() === t.id.toLowerCase();
}

export interface SuppressionVerdict<F> {
  /** Findings still reported (an expired suppression's among them). */
  kept: F[];
  suppressed: { finding: F; by: Suppression }[];
  /** Suppressions past their date that would match a finding: that finding is reported again. */
  expired: { finding?: F; by: Suppression }[];
  /** Suppressions in force that match no finding. */
  unmatched: Suppression[];
}

/** Sorts findings by the suppressions: hidden, kept, and the suppressions that have gone stale. */
export function judgeSuppressions<F>(
  findings: readonly F[],
  suppressions: readonly Suppression[],
  targetOf: (f: F) => SuppressionTarget,
  now: Date,
): SuppressionVerdict<F> {
  const v: SuppressionVerdict<F> = { kept: [], suppressed: [], expired: [], unmatched: [] };
  const used = new Set<Suppression>();
  for (const f of findings) {
    const t = targetOf(f);
    const matching = suppressions.filter((s) => suppresses(s, t));
    matching.forEach((s) => used.add(s));
    const live = matching.find((s) => !isExpired(s, now));
    if (live) v.suppressed.push({ finding: f, by: live });
    else {
      v.kept.push(f);
      for (const s of matching) v.expired.push({ finding: f, by: s });
    }
  }
  for (const s of suppressions) {
    if (used.has(s)) continue;
    if (isExpired(s, now)) v.expired.push({ by: s });
    else v.unmatched.push(s);
  }
  return v;
}

/** The line a finding carries when its suppression has run out. */
export function expiredNote(s: Suppression): string {
  return (
    `Its suppression ("${s.reason}") expired on ${s.expires}: fix the finding, or renew the suppression with a ` +
    "later expires."
  );
}
