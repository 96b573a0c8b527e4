/**
 * Resources as the engine hands them to a policy pack, and the preview unknowns. Tests build these
 * with the fixture builders and link them with `propertyDependencies` the way a program's
 * `resource.id` / `resource.principalId` inputs link them; the offline preview builds them from a
 * recorded environment.
 */
import * as fs from "node:fs";
import { armParamsOf, armShapeOf } from "../core/stack/azure-native-shape";
import { StackResource } from "../core/stack/topology";
import { UNKNOWN_WIRE_VALUE } from "../core/stack/values";

export interface PolicyResourceInput {
  type: string;
  /** The Pulumi (logical) name. */
  name: string;
  /** What AnalyzeStack sends: the resource's outputs (a component's registered outputs). */
  props: Record<string, unknown>;
  /**
   * What Analyze sends: the checked inputs. When absent, `inputsOf` derives them from `props` as
   * the provider would have been given them.
   */
  inputs?: Record<string, unknown>;
  /** The component it is declared in; the stack when absent. */
  parent?: PolicyResourceInput;
  /** Explicit `dependsOn`; property dependencies are added to the list as the engine adds them. */
  dependsOn?: PolicyResourceInput[];
  /** For each input property, the resources its value came from. */
  propertyDependencies?: Record<string, PolicyResourceInput[]>;
  /** The provider resource it is created with (a Kubernetes provider names the cluster). */
  provider?: PolicyResourceInput;
}

export const STACK_TYPE = "pulumi:pulumi:Stack";
const STACK_NAME = "test";
const PROJECT = "aks-acr-guard";

/** The root resource of every run: its outputs are the program's exports. */
export function stackResource(stackOutputs: Record<string, unknown> = {}): PolicyResourceInput {
  return { type: STACK_TYPE, name: `${PROJECT}-${STACK_NAME}`, props: stackOutputs, inputs: {} };
}

/** A URN as the engine makes it: the parents' types (the stack's left out) before the type. */
export function urnOf(r: PolicyResourceInput): string {
  const chain: string[] = [];
  for (let p = r.parent; p && p.type !== STACK_TYPE; p = p.parent) chain.unshift(p.type);
  const types = [...chain, r.type].join("$");
  return `urn:pulumi:${STACK_NAME}::${PROJECT}::${types}::${r.name}`;
}

const isProvider = (type: string) => type.startsWith("pulumi:providers:");
/** This package's components (`aks-acr-guard:index:AcrPullAccess`): registered with no inputs. */
const isComponent = (type: string) => type.startsWith(`${PROJECT}:index:`);

/** The fields of a Kubernetes object a program declares: no `status`, metadata the user sets. */
export function kubernetesInputsOf(o: Record<string, unknown>): Record<string, unknown> {
  const { metadata, ...rest } = o;
  delete rest.status;
  if (metadata === null || typeof metadata !== "object") return rest;
  const meta = Object.fromEntries(
    Object.entries(metadata).filter(([k]) => ["name", "namespace", "labels", "annotations"].includes(k)),
  );
  return { ...rest, metadata: meta };
}

/** Outputs azure-native computes and never takes as inputs. */
const ARM_OUTPUTS = ["id", "name", "type", "azureApiVersion", "etag", "systemData"];

/**
 * The checked inputs Analyze receives for `r`: `r.inputs` when given; otherwise a component's
 * (none), a provider's (its config), a Kubernetes object's (without `status`), or an azure-native
 * resource's outputs without what only ARM computes, with the path inputs its id holds
 * (`resourceGroupName`, `registryName`, ...).
 */
export function inputsOf(r: PolicyResourceInput): Record<string, unknown> {
  if (r.inputs) return r.inputs;
  if (isComponent(r.type) || r.type === STACK_TYPE) return {};
  if (isProvider(r.type)) return r.props;
  if (r.type.startsWith("kubernetes:")) return kubernetesInputsOf(r.props);
  const inputs = Object.fromEntries(Object.entries(r.props).filter(([k]) => !ARM_OUTPUTS.includes(k)));
  const id = r.props.id;
  if (!armShapeOf(r.type) || typeof id !== "string" || id === UNKNOWN_WIRE_VALUE) return inputs;
  let params: Record<string, string> = {};
  try {
    params = armParamsOf(r.type, id);
  } catch {
    // An id of another shape (a test's deliberately odd record) addresses nothing: no path inputs.
  }
  return { ...inputs, ...params };
}

/** The installed version of a provider's SDK package, which names its default provider. */
function sdkVersion(pkg: string): string | undefined {
  try {
    const file = require.resolve(`@pulumi/${pkg}/package.json`);
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** The default provider of a package, as the engine registers it (`default_3_28_0`). */
function defaultProvider(pkg: string): PolicyResourceInput {
  const version = sdkVersion(pkg);
  return {
    type: `pulumi:providers:${pkg}`,
    name: version ? `default_${version.replace(/[.-]/g, "_")}` : "default",
    props: version ? { version } : {},
  };
}

/** Whether the engine registers `r` with a provider: every custom resource but a provider. */
const isCustom = (type: string) => type !== STACK_TYPE && !isProvider(type) && !isComponent(type);

/**
 * What a run sends for `resources`: the stack first, then every provider (each resource without
 * an explicit one gets its package's default provider, as the engine assigns it), then the
 * resources in the order given, each with its provider. The engine analyzes resources in step
 * order, after what they depend on; AnalyzeStack's list comes in no particular order.
 */
export function engineResources(
  resources: PolicyResourceInput[],
  stackOutputs: Record<string, unknown> = {},
): PolicyResourceInput[] {
  const stack = stackResource(stackOutputs);
  const providers = new Map<string, PolicyResourceInput>();
  const addProvider = (p: PolicyResourceInput) => {
    if (!providers.has(urnOf(p))) providers.set(urnOf(p), p);
    return providers.get(urnOf(p))!;
  };
  const given = resources.filter((r) => r.type !== STACK_TYPE);
  for (const r of given) if (isProvider(r.type)) addProvider(r);
  const withProviders = given
    .filter((r) => !isProvider(r.type))
    .map((r) => {
      if (!isCustom(r.type)) return r;
      const provider = addProvider(r.provider ?? defaultProvider(r.type.split(":")[0]));
      return { ...r, provider };
    });
  return [stack, ...providers.values(), ...withProviders];
}

/** Whether the engine sets `parent` on `r`: on every resource but the stack and default providers. */
export function hasParent(r: PolicyResourceInput): boolean {
  return r.type !== STACK_TYPE && !(isProvider(r.type) && r.name.startsWith("default"));
}

/** The parent the engine reports for `r`: its component, or else the stack. */
export function parentUrnOf(r: PolicyResourceInput): string | undefined {
  if (!hasParent(r)) return undefined;
  return urnOf(r.parent ?? stackResource());
}

/**
 * A fixed permutation of `items` (the same for the same length): AnalyzeStack's list comes in no
 * particular order, and a policy must not depend on one.
 */
export function engineOrder<T>(items: T[]): T[] {
  const out = [...items];
  let seed = (out.length * 2654435761) >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The engine's dependency list: explicit dependencies plus every property dependency. */
export function dependencyUrns(r: PolicyResourceInput): string[] {
  const urns = new Set((r.dependsOn ?? []).map(urnOf));
  for (const from of Object.values(r.propertyDependencies ?? {})) for (const d of from) urns.add(urnOf(d));
  return [...urns];
}

/** A recorded or harness resource as core/ reads it, as policies/lib/stack.ts fromPolicyResource reads the engine's. */
export function toStackResource(r: PolicyResourceInput): StackResource {
  return {
    type: r.type,
    urn: urnOf(r),
    name: r.name,
    props: structuredClone(r.props),
    dependencies: dependencyUrns(r),
    propertyDependencies: Object.fromEntries(
      Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, v.map(urnOf)]),
    ),
    provider: r.provider && urnOf(r.provider),
  };
}
