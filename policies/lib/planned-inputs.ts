/**
 * What a resource will be, where the engine cannot yet say what it is.
 *
 * When a provider's own config is unknown during preview (a Kubernetes provider made from the
 * kubeconfig of a cluster this same deploy creates), the engine never calls the provider's Create
 * and records empty outputs `{}` for its resources (`provider_plugin.go`: "the provider is not
 * fully configured"). AnalyzeStack then shows a first deploy's Deployments with no containers, and
 * every image and workload check would pass them. Analyze, which the engine calls for each resource
 * of the run before AnalyzeStack, did get the resource's checked inputs: those are what the
 * provider will be asked to create. So the pack keeps each resource's Analyze inputs (the message,
 * deserialized only if needed) by URN for the run (ConfigureStack starts a run afresh), and a
 * resource whose AnalyzeStack outputs are empty is read from them. Unknown inputs stay unknown, so nothing becomes certain that is not.
 *
 * The Analyze handler @pulumi/policy registers is reached as in `shared-stack.ts`, by wrapping the
 * gRPC `Server.addService` it calls once; the wrapper takes itself out at that call and hands the
 * handler every request untouched.
 */
import * as path from "node:path";

type Deserialize = (struct: unknown, proxySecrets: boolean) => Record<string, unknown>;

interface AnalyzeRequest {
  getUrn(): string;
  getType(): string;
  getProperties(): unknown;
}

const ANALYZE = "/pulumirpc.Analyzer/Analyze";
const CONFIGURE_STACK = "/pulumirpc.Analyzer/ConfigureStack";

const planned = new Map<string, { message: unknown; props?: Record<string, unknown> }>();
let deserialize: Deserialize | undefined;
let installed = false;

/** Types whose `{}` outputs mean "not created yet": a provider's resources, not the engine's or our components. */
const providerResource = (type: string) => !type.startsWith("pulumi:") && !type.startsWith("aks-acr-guard:");

/** Records one Analyze request's inputs (tests call it with real messages; the wrapper with the engine's). */
export function recordAnalyzeRequest(request: unknown): void {
  try {
    const r = request as AnalyzeRequest;
    const type = r.getType();
    if (providerResource(type)) planned.set(r.getUrn(), { message: r.getProperties() });
  } catch {
    // Not a request this module can read: nothing to remember, and Analyze goes on as it would.
  }
}

/** Forgets what was recorded (tests). */
export function forgetPlannedInputs(): void {
  planned.clear();
}

/**
 * A resource's properties for the stack policies: its outputs, or its Analyze inputs where the
 * outputs are empty because its provider could not be configured yet.
 */
export function withPlannedInputs(
  type: string,
  urn: string,
  props: Record<string, unknown>,
): Record<string, unknown> {
  if (!providerResource(type) || Object.keys(props).length > 0) return props;
  const entry = planned.get(urn);
  if (!entry || !deserialize) return props;
  try {
    entry.props ??= deserialize(entry.message, false);
  } catch {
    return props;
  }
  return entry.props;
}

/** Sets the deserializer @pulumi/policy uses; returns whether one was found. */
function findDeserializer(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const d = (require("@pulumi/policy/deserialize") as { deserializeProperties?: Deserialize })
      .deserializeProperties;
    if (typeof d === "function") deserialize = d;
  } catch {
    deserialize = undefined;
  }
  return !!deserialize;
}

/** Sets the deserializer for tests that drive `withPlannedInputs` directly. */
export function usePlannedInputsDeserializer(d: Deserialize): void {
  deserialize = d;
}

/**
 * Wraps the Analyze handler of the PolicyPack about to start so that each request's inputs are
 * recorded before @pulumi/policy serves it. Call it just before `new PolicyPack(...)`; returns
 * whether it did (it steps aside where @pulumi/policy's gRPC server or deserializer cannot be found).
 */
export function recordPlannedInputs(): boolean {
  if (installed || !findDeserializer()) return false;
  let proto: { addService: (service: unknown, impl: unknown) => unknown };
  try {
    const policyDir = path.dirname(require.resolve("@pulumi/policy/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [policyDir] })) as {
      Server?: { prototype: typeof proto };
    };
    if (typeof grpc.Server?.prototype?.addService !== "function") return false;
    proto = grpc.Server.prototype;
  } catch {
    return false;
  }
  const addService = proto.addService;
  installed = true;
  proto.addService = function (this: unknown, service: unknown, impl: unknown) {
    proto.addService = addService;
    const methods = service as Record<string, { path?: string }> | undefined;
    const handler = (impl as { analyze?: unknown } | undefined)?.analyze;
    // The engine configures the stack once at the start of each run: what an earlier run recorded goes.
    const configure = (impl as { configureStack?: unknown } | undefined)?.configureStack;
    if (methods?.configureStack?.path === CONFIGURE_STACK && typeof configure === "function") {
      const configureStack = configure as (this: unknown, ...args: unknown[]) => unknown;
      impl = {
        ...(impl as object),
        configureStack(this: unknown, ...args: unknown[]) {
          planned.clear();
          return configureStack.apply(this, args);
        },
      };
    }
    if (methods?.analyze?.path === ANALYZE && typeof handler === "function") {
      const analyze = handler as (this: unknown, call: { request: unknown }, ...rest: unknown[]) => unknown;
      impl = {
        ...(impl as object),
        analyze(this: unknown, call: { request: unknown }, ...rest: unknown[]) {
          recordAnalyzeRequest(call.request);
          return analyze.call(this, call, ...rest);
        },
      };
    }
    return addService.call(this, service, impl);
  };
  return true;
}
