/**
 * The one bridge between @pulumi/policy and core/: turns what the engine hands a stack policy into
 * plain `StackResource`s, builds the topology once per AnalyzeStack, and defers to preview.
 */
import { PolicyResource } from "@pulumi/policy";
import { buildTopology, StackResource, Topology } from "../../core/stack/topology";
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";
import { requestTopology, requestTopologyLost } from "./shared-stack";
import { withPlannedInputs } from "./planned-inputs";

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

/** A resource of the engine's AnalyzeStack message as core/ reads it (a recording's: offline/resources.ts toStackResource). */
export function fromPolicyResource(r: PolicyResource): StackResource {
  const propertyDependencies: Record<string, string[]> = {};
  for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) {
    propertyDependencies[key] = deps.map((d) => d.urn);
  }
  return {
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: withPlannedInputs(r.type, r.urn, plainProps(r.props)),
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

/**
 * The topology of the stack a stack policy is run on. Read once per AnalyzeStack for all fifteen
 * stack policies (`shared-stack.ts`); where that is switched off, each policy builds its own from
 * the resources @pulumi/policy hands it.
 */
export function topologyOf(resources: readonly PolicyResource[]): Topology {
  const shared = requestTopology();
  if (shared) return shared;
  if (resources.length === 0 && requestTopologyLost()) {
    throw new Error(
      "aks-acr-guard read this AnalyzeStack's resources once for all its policies, but @pulumi/policy ran the " +
        "policy outside the request, with no resources. Set AKS_ACR_GUARD_SHARED_STACK=0 for `pulumi preview` and report it.",
    );
  }
  return buildTopology(resources.map(fromPolicyResource));
}

/**
 * Ends the policy's run as "not decidable during preview": @pulumi/policy reports it as advisory,
 * whatever the policy's level. Violations reported before this call are kept.
 */
export function deferToPreview(path: string): never {
  throw new UnknownValueError(UNKNOWN_WIRE_VALUE, [path]);
}

/** A violation a stack policy will report: its message and the URN it is reported on. */
export interface Violation {
  message: string;
  urn: string;
}

/**
 * A check with a mandatory half and its advisory `-unverified` half: what is certain, what is not,
 * and the first value that waits on preview.
 */
export interface Evaluation {
  certain: Violation[];
  unverified: Violation[];
  pending?: string;
}
