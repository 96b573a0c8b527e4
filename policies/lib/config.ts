/**
 * Policy config, checked at run time too: the CLI validates config against each policy's schema,
 * but a pack enforced from Pulumi Cloud should still fail clearly, not misbehave, on a bad value.
 */
import { GUID } from "../../core/roles";

export class PolicyConfigError extends Error {
  constructor(policy: string, key: string, value: unknown, expected: string) {
    super(`policy '${policy}': config '${key}' is ${JSON.stringify(value)}; expected ${expected}`);
    this.name = "PolicyConfigError";
  }
}

export function guidList(policy: string, config: Record<string, unknown>, key: string): Set<string> {
  const value = config[key];
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !GUID.test(v))) {
    throw new PolicyConfigError(policy, key, value, "an array of role definition GUIDs");
  }
  return new Set(value.map((v: string) => v.toLowerCase()));
}

export const GUID_LIST_SCHEMA = {
  type: "array",
  items: { type: "string", pattern: GUID.source },
  default: [],
} as const;
