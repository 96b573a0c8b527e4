/**
 * The part of JSON Schema that policy config schemas use, checked the way the Pulumi CLI checks
 * policy config before it starts a pack: a value that does not fit is refused with its path.
 */
type Schema = Record<string, unknown>;

export class PolicyConfigRejected extends Error {}

export function validateAgainstSchema(
  policy: string,
  value: Record<string, unknown>,
  schema: { properties: Record<string, Schema>; required?: string[] },
): void {
  for (const key of schema.required ?? []) {
    if (!(key in value)) throw new PolicyConfigRejected(`${policy}: config '${key}' is required`);
  }
  for (const [key, v] of Object.entries(value)) {
    const s = schema.properties[key];
    if (!s) throw new PolicyConfigRejected(`${policy}: config '${key}' is not a property of the policy`);
    check(`${policy}.${key}`, v, s);
  }
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function check(at: string, v: unknown, s: Schema): void {
  const fail = (expected: string) => {
    throw new PolicyConfigRejected(`${at}: ${JSON.stringify(v)} is not ${expected}`);
  };
  const t = typeOf(v);
  if (typeof s.type === "string" && !(t === s.type || (s.type === "number" && t === "integer")))
    fail(`of type ${s.type}`);
  if (Array.isArray(s.enum) && !s.enum.includes(v)) fail(`one of ${JSON.stringify(s.enum)}`);
  if (typeof v === "number") {
    if (typeof s.minimum === "number" && v < s.minimum) fail(`>= ${s.minimum}`);
    if (typeof s.maximum === "number" && v > s.maximum) fail(`<= ${s.maximum}`);
  }
  if (typeof v === "string" && typeof s.pattern === "string" && !new RegExp(s.pattern).test(v))
    fail(`matching ${s.pattern}`);
  if (t === "object" && s.properties && typeof s.properties === "object") {
    const props = s.properties as Record<string, Schema>;
    for (const key of (s.required as string[] | undefined) ?? []) {
      if (!(key in (v as object)))
        throw new PolicyConfigRejected(`${at}: ${JSON.stringify(v)} lacks '${key}'`);
    }
    for (const [key, value] of Object.entries(v as object)) {
      if (props[key]) check(`${at}.${key}`, value, props[key]);
      else if (s.additionalProperties === false)
        throw new PolicyConfigRejected(`${at}: '${key}' is not allowed`);
    }
  }
  if (Array.isArray(v) && s.items && typeof s.items === "object") {
    v.forEach((item, i) => check(`${at}[${i}]`, item, s.items as Schema));
  }
}
