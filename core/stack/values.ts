/**
 * Values as a policy sees them. Resource properties arrive as plain JSON in which a value that is
 * not known until `pulumi up` (an output of a resource still to be created) is one of the engine's
 * sentinel strings. `read*` functions turn those into `UNKNOWN` so that every decision downstream
 * is three-valued: known true, known false, or not known yet.
 */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;
export type Known<T> = T | Unknown;
/** A decision that may have to wait for `pulumi up`. */
export type Tri = boolean | Unknown;

// The sentinels @pulumi/policy's deserializer leaves in place of unknown values; the engine sends
// the string one, the others exist for completeness of the wire protocol.
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The value the engine sends for an unknown output. */
export const UNKNOWN_WIRE_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): v is Unknown {
  return v === UNKNOWN || (typeof v === "string" && v.length === 36 && UNKNOWN_SENTINELS.has(v));
}

/** Walks `path` from `root`; UNKNOWN as soon as a step is unknown, undefined when a step is absent. */
export function read(root: unknown, ...path: string[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (isUnknown(cur)) return UNKNOWN;
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return isUnknown(cur) ? UNKNOWN : cur;
}

export function readString(root: unknown, ...path: string[]): Known<string> | undefined {
  const v = read(root, ...path);
  return v === UNKNOWN || typeof v === "string" ? (v as Known<string>) : undefined;
}

export function readBool(root: unknown, ...path: string[]): Known<boolean> | undefined {
  const v = read(root, ...path);
  return v === UNKNOWN || typeof v === "boolean" ? (v as Known<boolean>) : undefined;
}

export function readArray(root: unknown, ...path: string[]): Known<unknown[]> | undefined {
  const v = read(root, ...path);
  return v === UNKNOWN || Array.isArray(v) ? (v as Known<unknown[]>) : undefined;
}

export function readObject(root: unknown, ...path: string[]): Known<Record<string, unknown>> | undefined {
  const v = read(root, ...path);
  if (v === UNKNOWN) return UNKNOWN;
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Three-valued AND: false wins, then unknown. */
export function all3(values: Iterable<Tri>): Tri {
  let unknown = false;
  for (const v of values) {
    if (v === false) return false;
    if (v === UNKNOWN) unknown = true;
  }
  return unknown ? UNKNOWN : true;
}

/** Three-valued OR: true wins, then unknown. */
export function any3(values: Iterable<Tri>): Tri {
  let unknown = false;
  for (const v of values) {
    if (v === true) return true;
    if (v === UNKNOWN) unknown = true;
  }
  return unknown ? UNKNOWN : false;
}

/** Case-insensitive equality of two possibly-unknown strings. */
export function sameText(a: Known<string> | undefined, b: Known<string> | undefined): Tri {
  if (a === UNKNOWN || b === UNKNOWN) return UNKNOWN;
  if (a === undefined || b === undefined) return false;
  return a.toLowerCase() === b.toLowerCase();
}

export function known<T>(v: Known<T> | undefined): v is T {
  return v !== undefined && v !== UNKNOWN;
}

/** The elements of a list, or none when the value is absent, unknown, or not a list. */
export function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The ids of a list of references (`[{ "id": "..." }]`), skipping what is not one. */
export function refIds(list: unknown): string[] {
  return listOf(list)
    .map((x) => read(x, "id"))
    .filter((x): x is string => typeof x === "string");
}

/**
 * A property of an item that azure-native returns flattened but ARM JSON (a recording, an inline
 * child such as a peering or a rule) nests under `properties`: the top level first, then there.
 */
export function readArmProp(item: unknown, ...path: string[]): unknown {
  const top = read(item, ...path);
  return top !== undefined ? top : read(item, "properties", ...path);
}
