/**
 * One deserialization per resource per AnalyzeStack, instead of one per stack policy.
 *
 * @pulumi/policy's AnalyzeStack handler deserializes every resource's properties again for each
 * stack policy (15 here): at 10,000 resources that is most of the pack's time. The handler reads
 * each resource's properties as the same protobuf Struct object on every pass, so the plain-JSON
 * result can be kept per Struct (a WeakMap: it goes with the request) and handed to every policy.
 * Only the AnalyzeStack path is shared (`proxySecrets: false`); Analyze and Remediate are untouched.
 * The shared object is read-only by contract: no policy of this pack writes to `props`.
 *
 * This wraps an internal module of @pulumi/policy (`deserialize.deserializeProperties`). If a
 * later version moves it, nothing is wrapped and the pack runs as before, only slower.
 */
type Deserialize = (struct: object, proxySecrets: boolean) => Record<string, unknown>;

let active = false;

/** Whether every stack policy of a request sees the same props objects (the wrapper is in place). */
export function stackDeserializationShared(): boolean {
  return active;
}

export function shareStackDeserialization(): boolean {
  let mod: { deserializeProperties?: Deserialize };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("@pulumi/policy/deserialize") as typeof mod;
  } catch {
    return false;
  }
  const original = mod.deserializeProperties;
  if (typeof original !== "function" || (original as { shared?: boolean }).shared) return false;
  const cache = new WeakMap<object, Record<string, unknown>>();
  const shared: Deserialize = (struct, proxySecrets) => {
    if (proxySecrets || struct === null || typeof struct !== "object") return original(struct, proxySecrets);
    let props = cache.get(struct);
    if (!props) {
      props = original(struct, proxySecrets);
      cache.set(struct, props);
    }
    return props;
  };
  (shared as { shared?: boolean }).shared = true;
  mod.deserializeProperties = shared;
  active = true;

  // The same for the unknown-checking proxy the handler wraps each resource's properties in.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy?: (o: object) => object };
    const wrap = proxy.unknownCheckingProxy;
    if (typeof wrap === "function") {
      const proxies = new WeakMap<object, object>();
      proxy.unknownCheckingProxy = (o) => {
        if (o === null || typeof o !== "object") return wrap(o);
        let p = proxies.get(o);
        if (!p) proxies.set(o, (p = wrap(o)));
        return p;
      };
    }
  } catch {
    // An older or newer layout: keep the handler's own proxies.
  }
  return true;
}
