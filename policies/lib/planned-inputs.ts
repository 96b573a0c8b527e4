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
 * resource whose AnalyzeStack outputs are empty is read from them. Unknown inputs stay unknown,
 * so nothing becomes certain that is not.
 *
 * The same holds for where a planned azure-native resource lives: a preview of a create (or an
 * update) leaves `id` unknown and, as every azure-native output, drops the path inputs
 * (`resourceGroupName`, `virtualNetworkName`, `privateZoneName`, ...). A planned peering would
 * then belong to no VNet, and the fix a program plans would read as missing: the preview that
 * `pulumi up` runs first would block the very deploy that fixes the pull. Those path inputs are
 * taken from the resource's Analyze inputs.
 *
 * The Analyze handler @pulumi/policy registers is reached as in `shared-stack.ts`
 * (`policy-internals.ts`); it gets every request untouched.
 */
import { armShapeOf, pathInputsOf } from "../../core/stack/azure-native-shape";
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";
import { Deserialize, policyDeserializer, wrapNextAddService } from "./policy-internals";

interface AnalyzeRequest {
  getUrn(): string;
  getType(): string;
  getProperties(): unknown;
}

const ANALYZE = "/pulumirpc.Analyzer/Analyze";
const CONFIGURE_STACK = "/pulumirpc.Analyzer/ConfigureStack";

const planned = new Map<string, { message: unknown; props?: Record<string, unknown> }>();
let deserialize: Deserialize | undefined;

/** Types whose `{}` outputs mean "not created yet": a provider's resources, not the engine's or our components. */
const providerResource = (type: string) => !type.startsWith("pulumi:") && !type.startsWith("aks-acr-guard:");

function recordAnalyzeRequest(request: unknown): void {
  try {
    const r = request as AnalyzeRequest;
    const type = r.getType();
    if (providerResource(type)) planned.set(r.getUrn(), { message: r.getProperties() });
  } catch {
    // Not a request this module can read: nothing to remember, and Analyze goes on as it would.
  }
}

/**
 * A resource's properties for the stack policies: its outputs; its Analyze inputs where the outputs
 * are empty because its provider could not be configured yet; and, for an azure-native resource
 * whose `id` is not known yet, the path inputs its preview outputs leave out.
 */
export function withPlannedInputs(
  type: string,
  urn: string,
  props: Record<string, unknown>,
): Record<string, unknown> {
  if (!providerResource(type)) return props;
  const empty = Object.keys(props).length === 0;
  const located = !empty && !(props.id === UNKNOWN_WIRE_VALUE && armShapeOf(type));
  if (located) return props;
  const inputs = plannedInputs(urn);
  if (!inputs) return props;
  if (empty) return inputs;
  const where = pathInputsOf(type).filter((k) => props[k] === undefined && inputs[k] !== undefined);
  return where.length ? { ...props, ...Object.fromEntries(where.map((k) => [k, inputs[k]])) } : props;
}

/** The Analyze inputs recorded for a URN in this run, deserialized on first use. */
function plannedInputs(urn: string): Record<string, unknown> | undefined {
  const entry = planned.get(urn);
  if (!entry || !deserialize) return undefined;
  try {
    return (entry.props ??= deserialize(entry.message, false));
  } catch {
    return undefined;
  }
}

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps the Analyze handler of the PolicyPack about to start so that each request's inputs are
 * recorded before @pulumi/policy serves it, and ConfigureStack so that each run starts afresh. Call
 * it just before `new PolicyPack(...)`; returns whether it did (it steps aside where
 * @pulumi/policy's gRPC server or deserializer cannot be found).
 */
export function recordPlannedInputs(): boolean {
  if (deserialize) return false;
  const read = policyDeserializer();
  if (!read) return false;
  const wrapping = wrapNextAddService((service, impl) => {
    const { analyze, configureStack } = impl as { analyze?: unknown; configureStack?: unknown };
    const out: Record<string, unknown> = { ...impl };
    // The engine configures the stack once at the start of each run: what an earlier run recorded goes.
    if (service.configureStack?.path === CONFIGURE_STACK && typeof configureStack === "function") {
      out.configureStack = function (this: unknown, ...args: unknown[]) {
        planned.clear();
        return (configureStack as Handler).apply(this, args);
      };
    }
    if (service.analyze?.path === ANALYZE && typeof analyze === "function") {
      out.analyze = function (this: unknown, call: { request: unknown }, ...rest: unknown[]) {
        recordAnalyzeRequest(call.request);
        return (analyze as Handler).call(this, call, ...rest);
      };
    }
    return out;
  });
  if (wrapping) deserialize = read;
  return wrapping;
}
