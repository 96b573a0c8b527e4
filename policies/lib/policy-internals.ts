/**
 * The two parts of @pulumi/policy 1.x the pack reaches past its typings: its property deserializer
 * (what its handlers turn a Struct into) and the gRPC `Server.addService` it calls once when the pack
 * starts, through which the pack wraps a handler before @pulumi/policy registers it. One place finds
 * them, for `shared-stack.ts` (AnalyzeStack) and `planned-inputs.ts` (Analyze, ConfigureStack).
 */
import * as path from "node:path";

export type Deserialize = (struct: unknown, proxySecrets: boolean) => Record<string, unknown>;

type AddService = (service: unknown, impl: unknown) => unknown;

/** @pulumi/policy's deserializer, or undefined where a later version keeps it elsewhere. */
export function policyDeserializer(): Deserialize | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const d = (require("@pulumi/policy/deserialize") as { deserializeProperties?: Deserialize })
      .deserializeProperties;
    return typeof d === "function" ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Arranges for `wrap` to rewrite the handlers @pulumi/policy passes to its gRPC server's next
 * `addService` call; the wrapper takes itself out at that call. Returns false, wrapping nothing,
 * where the grpc-js @pulumi/policy uses cannot be found.
 */
export function wrapNextAddService(
  wrap: (service: Record<string, { path?: string }>, impl: object) => object,
): boolean {
  let proto: { addService: AddService };
  try {
    const policyDir = path.dirname(require.resolve("@pulumi/policy/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [policyDir] })) as {
      Server?: { prototype: { addService: AddService } };
    };
    if (typeof grpc.Server?.prototype?.addService !== "function") return false;
    proto = grpc.Server.prototype;
  } catch {
    return false;
  }
  const addService = proto.addService;
  proto.addService = function (this: unknown, service: unknown, impl: unknown) {
    proto.addService = addService;
    const wrapped =
      service && typeof service === "object" && impl && typeof impl === "object"
        ? wrap(service as Record<string, { path?: string }>, impl)
        : impl;
    return addService.call(this, service, wrapped);
  };
  return true;
}
