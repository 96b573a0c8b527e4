/**
 * One reading of the stack per AnalyzeStack, instead of one per stack policy.
 *
 * @pulumi/policy's AnalyzeStack handler rebuilds its whole view of the stack for every stack policy
 * (fifteen here): for each resource it deserializes the properties, wraps them in a proxy, and
 * allocates a resource object with its options, dependencies and closures. At 10,000 resources that
 * bookkeeping, and the garbage it leaves, cost more than all of the pack's own checks. The pack's
 * stack policies only ever read the topology `core/` builds from those resources, so it is built
 * here, once per request, straight from the request's messages (`stackResourcesFromRequest`), and
 * @pulumi/policy is handed the same request with an empty resource list. Everything else stays
 * @pulumi/policy's: policy config and enforcement levels, violations, "can't run during preview"
 * advisories, and errors. Analyze and Remediate are untouched.
 *
 * The handler is reached by wrapping the gRPC `Server.addService` that @pulumi/policy calls once
 * when the pack starts; the wrapper takes itself out at that call. It steps aside, and the pack runs
 * exactly as @pulumi/policy alone would (only slower), when:
 * - `AKS_ACR_GUARD_SHARED_STACK=0` is set (the switch to rule this out when chasing a problem);
 * - a stack policy names a resource type (@pulumi/policy skips those by the request's list);
 * - the installed @pulumi/policy is not the version this was tested with (`TESTED_POLICY_VERSION`,
 *   which package.json pins exactly): the handler it wraps is that version's;
 * - @pulumi/policy's deserializer or gRPC server cannot be found where 1.x keeps them;
 * - reading a request throws: each policy then reads the stack itself and reports the error.
 * A stack policy that runs, while a request read here is served, outside that request's async
 * context throws (`topologyOf`) rather than pass on the empty list.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as fs from "node:fs";
import { buildTopology, StackResource, Topology } from "../../core/stack/topology";
import { withPlannedInputs } from "./planned-inputs";
import { Deserialize, policyDeserializer, wrapNextAddService } from "./policy-internals";

/** The parts of pulumirpc.AnalyzerResource a StackResource is made of. */
export interface ResourceMessage {
  getType(): string;
  getUrn(): string;
  getName(): string;
  getProperties(): unknown;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> } | undefined;
  getProvider(): { getUrn(): string } | undefined;
}

interface StackRequest {
  getResourcesList(): ResourceMessage[];
}

type Callback = (...args: unknown[]) => void;
type StackHandler = (this: unknown, call: { request: StackRequest }, callback: Callback) => unknown;

const ANALYZE_STACK = "/pulumirpc.Analyzer/AnalyzeStack";

const current = new AsyncLocalStorage<Topology>();
let installed = false;
// Requests handed to @pulumi/policy with an empty list and not answered yet.
let inFlight = 0;

/** The topology of the AnalyzeStack request being served, when this module read it. */
export function requestTopology(): Topology | undefined {
  return current.getStore();
}

/**
 * Whether a stack policy runs while a request read here is being served, but outside it: a later
 * @pulumi/policy that loses the request's async context would hand its policies an empty list,
 * and they must fail loudly rather than pass on it.
 */
export function requestTopologyLost(): boolean {
  return inFlight > 0 && current.getStore() === undefined;
}

/**
 * The request's resources as `core/` reads them: what @pulumi/policy's PolicyResource would give
 * (`policies/lib/stack.ts` `fromPolicyResource`), with each resource's properties deserialized on
 * first read, once. Unknown values stay as their sentinel, as under the proxy's target.
 */
export function stackResourcesFromRequest(
  messages: readonly ResourceMessage[],
  deserialize: Deserialize,
): StackResource[] {
  return messages.map((m) => {
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, deps] of m.getPropertydependenciesMap()?.entries() ?? []) {
      propertyDependencies[key] = deps.getUrnsList();
    }
    let props: Record<string, unknown> | undefined;
    return {
      type: m.getType(),
      urn: m.getUrn(),
      name: m.getName(),
      get props() {
        return (props ??= withPlannedInputs(m.getType(), m.getUrn(), deserialize(m.getProperties(), false)));
      },
      dependencies: m.getDependenciesList(),
      propertyDependencies,
      provider: m.getProvider()?.getUrn(),
    };
  });
}

function wrapStackHandler(handler: StackHandler, deserialize: Deserialize): StackHandler {
  return function (this: unknown, call, callback) {
    let topo: Topology;
    try {
      topo = buildTopology(stackResourcesFromRequest(call.request.getResourcesList(), deserialize));
    } catch {
      return handler.call(this, call, callback);
    }
    const request = Object.create(call.request, { getResourcesList: { value: () => [] } }) as StackRequest;
    const light = Object.create(call, { request: { value: request } }) as typeof call;
    let answered = false;
    inFlight++;
    const answer: Callback = (...args) => {
      if (!answered) inFlight--;
      answered = true;
      callback(...args);
    };
    return current.run(topo, () => handler.call(this, light, answer));
  };
}

/** The @pulumi/policy whose AnalyzeStack handler the wrapper was written for and tested with. */
export const TESTED_POLICY_VERSION = "1.21.0";

/** The installed @pulumi/policy's version (its package.json says `v1.21.0`). */
export function installedPolicyVersion(): string | undefined {
  try {
    const file = require.resolve("@pulumi/policy/package.json");
    const version = (JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string }).version;
    return version?.replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/**
 * Puts the wrapper in place for the PolicyPack about to start. Call it just before
 * `new PolicyPack(...)`; returns whether it did.
 */
export function shareStackReading(
  policies: readonly object[],
  policyVersion: () => string | undefined = installedPolicyVersion,
): boolean {
  if (installed || process.env.AKS_ACR_GUARD_SHARED_STACK === "0") return false;
  if (policyVersion() !== TESTED_POLICY_VERSION) return false;
  const typed = policies.some(
    (p) => (p as { validateStack?: { __pulumiType?: string } }).validateStack?.__pulumiType,
  );
  if (typed) return false;
  const read = policyDeserializer();
  if (!read) return false;
  installed = wrapNextAddService((service, impl) => {
    const handler = (impl as { analyzeStack?: unknown }).analyzeStack;
    if (service.analyzeStack?.path !== ANALYZE_STACK || typeof handler !== "function") return impl;
    return { ...impl, analyzeStack: wrapStackHandler(handler as StackHandler, read) };
  });
  return installed;
}
