/**
 * Policy config, checked at run time too: the CLI validates config against each policy's schema,
 * but a pack enforced from Pulumi Cloud should still fail clearly, not misbehave, on a bad value.
 */
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { DeclaredPull } from "../../core/stack/pull-pairs";
import { parseCidr } from "../../core/network/cidr";
import { GUID } from "../../core/identity/roles";

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

export const GUID_LIST_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  items: { type: "string", pattern: GUID.source },
  default: [],
};

/** `pulls`: which cluster pulls from which registry, where the stack cannot show it. */
export function declaredPulls(policy: string, config: Record<string, unknown>): DeclaredPull[] {
  const value = config.pulls;
  if (value === undefined) return [];
  const ok =
    Array.isArray(value) &&
    value.every(
      (p) =>
        p !== null &&
        typeof p === "object" &&
        typeof p.cluster === "string" &&
        typeof p.registry === "string",
    );
  if (!ok)
    throw new PolicyConfigError(
      policy,
      "pulls",
      value,
      'an array of { "cluster": "<name>", "registry": "<name>" }',
    );
  return value as DeclaredPull[];
}

export const PULLS_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Which cluster pulls from which registry (Azure or Pulumi names), where the stack cannot show it. " +
    "Default: the registries a cluster's workloads and role assignments name, else every registry of the stack.",
  items: {
    type: "object",
    properties: { cluster: { type: "string" }, registry: { type: "string" } },
    required: ["cluster", "registry"],
    additionalProperties: false,
  },
  default: [],
};

/** A list of IPv4 addresses (egress IPs, appliance IPs the stack cannot show). */
export function ipv4List(policy: string, config: Record<string, unknown>, key: string): string[] {
  const value = config[key] ?? [];
  if (!Array.isArray(value) || value.some((ip) => typeof ip !== "string" || parseCidr(ip)?.prefix !== 32)) {
    throw new PolicyConfigError(policy, key, value, "an array of IPv4 addresses");
  }
  return value as string[];
}

export function ipv4ListSchema(description: string): PolicyConfigJSONSchema {
  return { type: "array", items: { type: "string" }, default: [], description };
}
