/**
 * What tests do to resources: unknowns and secrets as the engine sends them, copies with changed,
 * unknown or missing properties. Test-only, so it lives here, not in the published package.
 */
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";
import type { PolicyResourceInput } from "../../offline/resources";

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
