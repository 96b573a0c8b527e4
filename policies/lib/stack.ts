/**
 * The one bridge between @pulumi/policy and core/: turns what the engine hands a stack policy into
 * plain `StackResource`s, builds the topology once per AnalyzeStack, and defers to preview.
 */
import { PolicyResource } from "@pulumi/policy";
import { buildTopology, StackResource, Topology } from "../../core/topology";
import { UNKNOWN_WIRE_VALUE } from "../../core/values";
import { stackDeserializationShared } from "./shared-deserialize";

// @pulumi/policy wraps props in a proxy that throws on unknown values; this key (part of its
// proxy, not of its typings) hands back the deserialized object, unknowns left as sentinels,
// so core/ can treat them as data instead of exceptions.
const PROXY_TARGET = "__getSpecialProxyTarget";

// The error @pulumi/policy turns into an advisory "can't run ... during preview". The package
// exports it, but its typings strip it as internal.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy") as {
  UnknownValueError: new (sentinel: string, props: string[]) => Error;
};

function plainProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = (props as Record<string, unknown>)[PROXY_TARGET];
  if (target && typeof target === "object") return target as Record<string, unknown>;
  return props;
}

export function toStackResource(r: PolicyResource): StackResource {
  const propertyDependencies: Record<string, string[]> = {};
  for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
    propertyDependencies[key] = deps.map((d) => d.urn);
  }
  return {
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: plainProps(r.props),
    dependencies: (r.dependencies ?? []).map((d) => d.urn),
    propertyDependencies,
    provider: r.provider?.urn,
  };
}

/** A resource policy's resource, as core/ reads resources (no links: Analyze sends none). */
export function resourceOf(args: {
  type: string;
  urn: string;
  name: string;
  props: Record<string, unknown>;
}): StackResource {
  return {
    type: args.type,
    urn: args.urn,
    name: args.name,
    props: plainProps(args.props),
    dependencies: [],
    propertyDependencies: {},
  };
}

// @pulumi/policy hands every stack policy its own list of the stack's resources, but runs all of one
// AnalyzeStack's policies in one turn of the event loop. The topology is kept for that turn (and
// for the same resources), so the fifteen stack policies share one build.
let memo: { key: string; first: unknown; topo: Topology } | undefined;

export function topologyOf(resources: readonly PolicyResource[]): Topology {
  // One AnalyzeStack per turn: its size and a few URNs tell its resource lists apart cheaply, and
  // where policies share props objects, the first one's identity tells two requests apart.
  const n = resources.length;
  const key = [n, resources[0]?.urn, resources[n >> 1]?.urn, resources[n - 1]?.urn].join("\0");
  const first = stackDeserializationShared() ? resources[0]?.props : undefined;
  if (memo && memo.key === key && memo.first === first) return memo.topo;
  const topo = buildTopology(resources.map(toStackResource));
  memo = { key, first, topo };
  setImmediate(() => {
    memo = undefined;
  });
  return topo;
}

/**
 * Ends the policy's run as "not decidable during preview": @pulumi/policy reports it as advisory,
 * whatever the policy's level. Violations reported before this call are kept.
 */
export function deferToPreview(path: string): never {
  throw new UnknownValueError(UNKNOWN_WIRE_VALUE, [path]);
}
