/**
 * Resources as the engine hands them to a policy pack, and the preview unknowns. Tests build these
 * with the fixture builders and link them with `propertyDependencies` the way a program's
 * `resource.id` / `resource.principalId` inputs link them; the offline preview builds them from a
 * recorded environment.
 */
import { StackResource } from "../core/topology";
import { UNKNOWN_WIRE_VALUE } from "../core/values";

export interface PolicyResourceInput {
  type: string;
  /** The Pulumi (logical) name. */
  name: string;
  props: Record<string, unknown>;
  parent?: PolicyResourceInput;
  /** Explicit `dependsOn`; property dependencies are added to the list as the engine adds them. */
  dependsOn?: PolicyResourceInput[];
  /** For each input property, the resources its value came from. */
  propertyDependencies?: Record<string, PolicyResourceInput[]>;
  /** The provider resource it is created with (a Kubernetes provider names the cluster). */
  provider?: PolicyResourceInput;
}

export function urnOf(r: PolicyResourceInput): string {
  const parentType = r.parent ? `${r.parent.type}$` : "";
  return `urn:pulumi:test::aks-acr-guard::${parentType}${r.type}::${r.name}`;
}

/** The engine's dependency list: explicit dependencies plus every property dependency. */
export function dependencyUrns(r: PolicyResourceInput): string[] {
  const urns = new Set((r.dependsOn ?? []).map(urnOf));
  for (const from of Object.values(r.propertyDependencies ?? {})) for (const d of from) urns.add(urnOf(d));
  return [...urns];
}

/** The value the engine sends for an output that is not known until `pulumi up`. */
export const unknown = (): string => UNKNOWN_WIRE_VALUE;

/** Marks pulumi's secret wrapper around a value, as the engine sends secret outputs. */
export function secret(value: unknown): Record<string, unknown> {
  return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

function cloneProps(props: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(props);
}

/** A copy of `r` with `mutate` applied to a copy of its props. */
export function withProps(
  r: PolicyResourceInput,
  mutate: (props: Record<string, unknown>) => void,
): PolicyResourceInput {
  const props = cloneProps(r.props);
  mutate(props);
  return { ...r, props };
}

/** Sets a dotted path (`identityProfile.kubeletidentity.objectId`) to a value, creating objects on the way. */
export function setPath(props: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let cur: Record<string, unknown> = props;
  for (const k of keys.slice(0, -1)) {
    if (cur[k] === null || typeof cur[k] !== "object") cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

/** A copy of `r` in which each path is unknown, as in a preview before the value exists. */
export function withUnknown(r: PolicyResourceInput, ...paths: string[]): PolicyResourceInput {
  return withProps(r, (p) => paths.forEach((path) => setPath(p, path, unknown())));
}

/** A copy of `r` without the given top-level properties (outputs some engines or providers omit). */
export function without(r: PolicyResourceInput, ...keys: string[]): PolicyResourceInput {
  return withProps(r, (p) => keys.forEach((k) => delete p[k]));
}

/** The resource as core/ reads it: what policies/lib/stack.ts makes of the engine's message. */
export function toStackResource(r: PolicyResourceInput): StackResource {
  return {
    type: r.type,
    urn: urnOf(r),
    name: r.name,
    props: structuredClone(r.props),
    dependencies: dependencyUrns(r),
    propertyDependencies: Object.fromEntries(
      Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map(urnOf)]),
    ),
    provider: r.provider && urnOf(r.provider),
  };
}
