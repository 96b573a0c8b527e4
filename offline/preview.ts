/**
 * The offline preview: the policy pack over a recorded environment, the program run in-process
 * against it (Pulumi's mocks answer its reads from the recording and record what it declares),
 * then the pack again over the environment plus the plan.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { parseArmId } from "../core/stack/arm-id";
import { armShapeOf, previewOutputsOf } from "../core/stack/azure-native-shape";
import { UNKNOWN_WIRE_VALUE } from "../core/stack/values";
import { readProgramConfig } from "../core/plan/program-config";
import { Diagnostic, PolicyPackClient } from "./analyzer";
import { settled } from "./outputs";
import { PolicyResourceInput } from "./resources";
import { PULL_PAIR_KINDS, stackOf, World, WorldError } from "./world";
import { PolicyConfigRejected } from "./config-schema";
import { AzureReader } from "../components/azure/reader";
import { worldReader } from "./world-reader";

export interface PlannedResource {
  type: string;
  name: string;
  /** The inputs as a plan shows them: secrets masked. */
  inputs: Record<string, unknown>;
  /** Index of the parent in the plan, when the parent is a component the program declared. */
  parent?: number;
  custom: boolean;
}

/** What the engine would send the pack about a planned resource, beside what the plan shows. */
interface PlannedWire {
  /** Its URN under the mocks, which name the links below. */
  urn: string;
  /** The URN of the explicit provider it is registered with. */
  provider?: string;
  /** Inputs as the engine sends them: secrets wrapped, not masked. */
  inputs: Record<string, unknown>;
  /** A component's registered outputs. */
  outputs?: Record<string, unknown>;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

export interface PreviewReport {
  /** The recorded environment, as the pack saw it. */
  resources: PolicyResourceInput[];
  /** The plan's resources (components and custom resources), as the pack saw them. */
  declared: PolicyResourceInput[];
  before: Diagnostic[];
  plan: PlannedResource[];
  /** The program's stack outputs: what it declared, and the commands for what it cannot. */
  outputs: Record<string, unknown>;
  after: Diagnostic[];
  ignored: Record<string, number>;
}

/** Invokes the program makes, answered from the recording (its Azure reads go through the observer's reader). */
function answerInvoke(world: World, token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (token === "azure-native:authorization:getClientConfig") {
    // Who runs the preview: taken to be signed in to the cluster's subscription (a fix elsewhere,
    // e.g. in a hub's connectivity subscription, then gets a provider of its own, as it would).
    const sub = parseArmId(world.config.clusterId)?.subscriptionId ?? "";
    return { subscriptionId: sub, tenantId: "", clientId: "", objectId: "" };
  }
  if (token === "azure-native:containerregistry:listRegistryCredentials") {
    // A recording holds password hashes only; the plan shows the secret masked anyway.
    return {
      username: String(inputs.registryName),
      passwords: [{ name: "password", value: "recorded-as-hash-only" }],
    };
  }
  if (token === "azure-native:containerservice:listManagedClusterUserCredentials") {
    // A recording holds no credentials: a kubeconfig that names the recorded cluster, and no user.
    const cluster = world.resources.find(
      (r) =>
        r.type.toLowerCase() === "microsoft.containerservice/managedclusters" &&
        r.name.toLowerCase() === String(inputs.resourceName).toLowerCase(),
    );
    const server = `https://${String(cluster?.properties?.fqdn ?? `${String(inputs.resourceName)}.recorded`)}:443`;
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      `clusters:\n- name: ${String(inputs.resourceName)}\n  cluster:\n    server: ${server}`,
      `contexts:\n- name: ${String(inputs.resourceName)}\n  context:\n    cluster: ${String(inputs.resourceName)}`,
      `current-context: ${String(inputs.resourceName)}`,
      "",
    ].join("\n");
    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
  }
  throw new Error(
    `${world.file}: the program read ${token}, which an offline preview cannot answer from a recording`,
  );
}

/**
 * The cluster and registry the program points at: the world's config, or else the only one the
 * recording holds. Refused, with the JSON path, when config names one the recording lacks or when
 * several could be meant.
 */
/** Ids for a message: the first five, and how many more (a fleet recording holds thousands). */
const listed = (ids: string[]) =>
  ids.length > 5 ? `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more` : ids.join(", ");

export function programTargets(world: World): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, type, what } of PULL_PAIR_KINDS) {
    const found = world.resources.filter((r) => r.type.toLowerCase() === type);
    const named = world.config[key];
    if (named) {
      if (parseArmId(named) && !found.some((r) => r.id.toLowerCase() === named.toLowerCase())) {
        throw new WorldError(
          world.file,
          `$.config.${key}`,
          `names ${named}, which the recording does not hold; expected one of: ${found.map((r) => r.id).join(", ") || `(no ${what} recorded)`}`,
        );
      }
      continue;
    }
    if (found.length === 1) out[key] = found[0].id;
    else if (found.length > 1) {
      throw new WorldError(
        world.file,
        `$.config.${key}`,
        `is not set and the recording holds ${found.length} ${what}s; expected one of: ${listed(found.map((r) => r.id))}. ` +
          "preview plans the fix of one cluster and registry: name them in the recording's config " +
          '({"config": {"clusterId": "<id>", "registryId": "<id>"}}, in it or in a file given beside it); ' +
          "diagnose and trace judge every cluster and registry of a recording",
      );
    }
  }
  return out;
}

/** Pulumi's wire signature of a secret value: what the engine would encrypt and mask. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as a plan shows them: every secret value replaced by `[secret]`. */
function masked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(masked);
  if (v === null || typeof v !== "object") return v;
  if (SECRET_SIG in v) return "[secret]";
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)]));
}

/** The parts of Pulumi's MockMonitor the plan reads: what each registration carried. */
interface MockMonitor {
  registerResource(req: RegisterRequest, cb: (err: unknown, res?: unknown) => void): unknown;
  newUrn(parent: string, type: string, name: string): string;
  resources: Map<string, { state: unknown }>;
}
interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): {
    forEach(f: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

/**
 * Runs the program against the world under Pulumi's mocks and returns what it declares: the plan
 * a person reads, and for each planned resource what the engine would send the pack about it.
 */
export async function planProgram(world: World): Promise<{
  plan: PlannedResource[];
  outputs: Record<string, unknown>;
  sent: PlannedWire[];
}> {
  // The program's config and the resources it names, checked here: a user's mistake is one line, not a crash.
  const config = { ...world.config, ...programTargets(world) };
  readProgramConfig((k) => config[k]);
  world = { ...world, config };
  const plan: PlannedResource[] = [];
  const byResource = new Map<pulumi.Resource, number>();
  const wireByUrn = new Map<string, Record<string, unknown>>();
  const links = new Map<string, Omit<PlannedWire, "inputs">>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const entry = plan.find(
          (p) => p.type === args.type && p.name === args.name && Object.keys(p.inputs).length === 0,
        );
        if (entry) entry.inputs = masked(args.inputs) as Record<string, unknown>;
        return { id: `${args.name}-planned`, state: args.inputs };
      },
      call: (args) => answerInvoke(world, args.token, args.inputs),
    },
    "aks-acr-guard",
    "offline",
    false,
  );
  // What each registration links to, as the engine receives it (the mocks' newResource does not say).
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((v, k) => (propertyDependencies[k] = v.getUrnsList()));
    links.set(urn, {
      urn,
      provider: req.getProvider() ? req.getProvider().split("::").slice(0, -1).join("::") : undefined,
      dependencies: req.getDependenciesList(),
      propertyDependencies,
    });
    return register(req, cb);
  };
  const program = (await import("../index")).default as (
    get: (k: string) => string | undefined,
    reader: AzureReader,
  ) => Record<string, unknown>;
  let outputs: Record<string, unknown> = {};
  const resources: pulumi.Resource[] = [];
  await pulumi.runtime.runInPulumiStack(async () => {
    // Transformations see each resource with its options as it is constructed: the parent tree.
    pulumi.runtime.registerStackTransformation((args) => {
      const parent = args.opts.parent ? byResource.get(args.opts.parent) : undefined;
      byResource.set(args.resource, plan.length);
      resources.push(args.resource);
      plan.push({
        type: args.type,
        name: args.name,
        inputs: {},
        parent,
        custom: args.resource instanceof pulumi.CustomResource,
      });
      return undefined;
    });
    const declared = program((key) => world.config[key], worldReader(world.resources));
    const values = await Promise.all(Object.values(declared).map(settled));
    outputs = Object.fromEntries(Object.keys(declared).map((k, i) => [k, values[i]]));
    // Registrations finish after the outputs settle, and resources declared in an apply come later:
    // wait until every resource seen is registered and no new one appears.
    for (let waited = 0; waited < byResource.size;) {
      const all = [...byResource.keys()];
      await Promise.all(all.map((r) => settled(r.urn)));
      waited = all.length;
    }
    return declared;
  });
  const urns = await Promise.all(resources.map((r) => settled(r.urn)));
  for (const [urn, r] of monitor.resources) {
    // The mocks keep a registration's state serialized, registered outputs as the request's Struct:
    // both as the wire carries them (secrets and resource references signed), as the engine sends them.
    const wire = r.state instanceof Struct ? r.state.toJavaScript() : r.state;
    wireByUrn.set(urn, wire as Record<string, unknown>);
  }
  const sent = urns.map((urn, i): PlannedWire => {
    const link = links.get(urn!)!;
    const state = wireByUrn.get(urn!) ?? {};
    // A custom resource's state is its inputs (the mocks echo them); a component's, its registered outputs.
    return plan[i].custom ? { ...link, inputs: state } : { ...link, inputs: {}, outputs: state };
  });
  return { plan, outputs, sent };
}

/** What a preview shows for a resource about to be created: the provider's preview outputs. */
function plannedOutputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (armShapeOf(type)) return previewOutputsOf(type, inputs);
  if (type.startsWith("kubernetes:") || type.startsWith("pulumi:providers:")) return inputs;
  return { ...inputs, id: UNKNOWN_WIRE_VALUE };
}

/**
 * The plan as the engine sends it to the pack during a preview: each resource with its parent,
 * its provider, what it depends on, its inputs (Analyze) and its preview outputs (AnalyzeStack; a
 * component's registered outputs).
 */
export function plannedResources(plan: PlannedResource[], sent: PlannedWire[]): PolicyResourceInput[] {
  const out: PolicyResourceInput[] = plan.map((p, i) => ({
    type: p.type,
    name: p.name,
    inputs: sent[i].inputs,
    props: p.custom ? plannedOutputs(p.type, sent[i].inputs) : (sent[i].outputs ?? {}),
  }));
  const byUrn = new Map(sent.map((w, i) => [w.urn, out[i]]));
  const known = (urns: string[]) => urns.flatMap((u) => byUrn.get(u) ?? []);
  plan.forEach((p, i) => {
    const r = out[i];
    const w = sent[i];
    if (p.parent !== undefined) r.parent = out[p.parent];
    if (w.provider && byUrn.has(w.provider)) r.provider = byUrn.get(w.provider);
    r.dependsOn = known(w.dependencies);
    r.propertyDependencies = Object.fromEntries(
      Object.entries(w.propertyDependencies).map(([k, urns]) => [k, known(urns)]),
    );
  });
  return out;
}

/** Configures the pack with the world's policyConfig; a value that does not fit is the world's mistake. */
export async function configureFor(world: World, pack: PolicyPackClient): Promise<void> {
  try {
    await pack.configure(world.policyConfig as never);
  } catch (e) {
    if (e instanceof PolicyConfigRejected) throw new WorldError(world.file, "$.policyConfig", e.message);
    throw e;
  }
}

/** The policy pack over the recorded environment alone. */
export async function diagnoseWorld(
  world: World,
  pack: PolicyPackClient,
  progress: (step: string) => void = () => undefined,
): Promise<{ resources: PolicyResourceInput[]; ignored: Record<string, number>; before: Diagnostic[] }> {
  const { resources, ignored } = stackOf(world);
  await configureFor(world, pack);
  progress(`analyzing ${resources.length} recorded resources`);
  return { resources, ignored, before: await pack.analyzeAll(resources) };
}

export async function offlinePreview(
  world: World,
  pack: PolicyPackClient,
  progress: (step: string) => void = () => undefined,
): Promise<PreviewReport> {
  const { resources, ignored, before } = await diagnoseWorld(world, pack, progress);
  progress("running the program against the recording");
  const { plan, outputs, sent } = await planProgram(world);
  progress("analyzing the environment with the plan applied");
  const declared = plannedResources(plan, sent);
  const after = await pack.analyzeAll([...resources, ...declared], outputs);
  return { resources, declared, before, plan, outputs, after, ignored };
}
