/**
 * The engine suite's one helper: a real `pulumi` (Automation API, inline programs, a `file://`
 * backend in a temporary folder) over the fake Azure, with the emulated providers and the policy
 * pack started by the engine itself. `npm run test:engine` (test/engine/run.ts) puts the CLI and
 * the plugins on PATH first.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { ARM_TYPE_TOKENS, ArmRecord, subscriptionTenants } from "../../core/stack/arm-types";
import { parseArmId } from "../../core/stack/arm-id";
import { programTargets } from "../../offline/preview";
import { homeSubscription, subscriptionProviders, uniqueNamer, World } from "../../offline/world";
import { FakeAzure, startFakeAzure } from "./fake-azure";
import { armIdOf, armInputsOf } from "../../core/stack/azure-native-shape";
import { kubernetesInputsOf } from "../../offline/resources";
import { UNDECLARABLE } from "../../core/stack/topology";
import { knows } from "./providers/azure-native";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const POLICIES_DIR = path.join(REPO_ROOT, "policies");
export const PROJECT = "aks-acr-guard";

export interface EngineFinding {
  policy: string;
  level: "advisory" | "mandatory";
  /** The resource's Pulumi name (last URN segment); "" for a stack-wide finding. */
  resource: string;
  urn: string;
  message: string;
}

export interface RunResult {
  ok: boolean;
  /** The CLI's error when the run failed (a mandatory violation fails it). */
  error?: string;
  findings: EngineFinding[];
  /** Operation counts from the summary: `{ same: 12, create: 2 }`. */
  changes: Record<string, number>;
  /** Each resource's step, as the engine announced it: `{ op: "create", type, name }`. */
  steps: { op: string; type: string; name: string }[];
  outputs: Record<string, unknown>;
}

export interface EngineContext {
  azure: FakeAzure;
  dir: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A fake Azure and a backend folder for one world; the KUBECONFIG of the default provider points at it. */
export async function engineContext(): Promise<EngineContext> {
  const key = process.env.AKS_ACR_GUARD_ENGINE_TLS_KEY;
  const cert = process.env.AKS_ACR_GUARD_ENGINE_TLS_CERT;
  if (!key || !cert)
    throw new Error("run the engine suite with `npm run test:engine` (test/engine/run.ts sets it up)");
  const azure = await startFakeAzure({
    key: fs.readFileSync(key, "utf8"),
    cert: fs.readFileSync(cert, "utf8"),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-engine-"));
  fs.mkdirSync(path.join(dir, "backend"));
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    server: ${azure.url}/k8s/default\ncurrent-context: default\n`,
  );
  // Registries' data plane (the observer reads image manifests there) at the fake, for the
  // programs the suite runs inline and for the CLI's.
  const registryEndpoint = `${azure.url}/acr/{loginServer}`;
  process.env.AKS_ACR_GUARD_REGISTRY_ENDPOINT = registryEndpoint;
  return {
    azure,
    dir,
    env: {
      AKS_ACR_GUARD_REGISTRY_ENDPOINT: registryEndpoint,
      KUBECONFIG: kubeconfig,
      PULUMI_CONFIG_PASSPHRASE: "engine-suite",
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "1",
    },
    async close() {
      if (process.env.AKS_ACR_GUARD_REGISTRY_ENDPOINT === registryEndpoint)
        delete process.env.AKS_ACR_GUARD_REGISTRY_ENDPOINT;
      await azure.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The engine context of the enclosing `describe`: opened before its tests (before each test with
 * `each`), closed after them. The value returned stands for the context open at the time, so a test
 * reads `ctx.azure` and passes `ctx` on as it would the context itself; read outside the describe's
 * tests, it throws.
 */
export function useEngineContext(opts: { each?: boolean } = {}): EngineContext {
  let current: EngineContext | undefined;
  const open = async () => {
    current = await engineContext();
  };
  const close = async () => {
    await current?.close();
    current = undefined;
  };
  if (opts.each) {
    beforeEach(open);
    afterEach(close);
  } else {
    before(open);
    after(close);
  }
  return new Proxy({} as EngineContext, {
    get(_target, key) {
      if (!current)
        throw new Error(`the engine context's ${String(key)} was read outside its describe's tests`);
      return Reflect.get(current, key);
    },
  });
}

let command: Promise<PulumiCommand> | undefined;

/** A stack of an inline program, with its stack config (`aks-acr-guard:clusterId`, `azure-native:metadataHost`, ...). */
export async function engineStack(
  ctx: EngineContext,
  name: string,
  program: () => Promise<Record<string, unknown> | void>,
  config: Record<string, string>,
): Promise<Stack> {
  command ??= PulumiCommand.get({ root: process.env.AKS_ACR_GUARD_PULUMI_ROOT, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: PROJECT, program },
    {
      pulumiCommand: await command,
      pulumiHome: ctx.env.PULUMI_HOME,
      envVars: ctx.env,
      projectSettings: {
        name: PROJECT,
        runtime: "nodejs",
        backend: { url: `file://${path.join(ctx.dir, "backend")}` },
      },
    },
  );
  await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])));
  return stack;
}

/** The stack config that points azure-native (and the observer) at the fake Azure. */
export function azureConfig(ctx: EngineContext, subscriptionId: string): Record<string, string> {
  return { "azure-native:metadataHost": ctx.azure.host, "azure-native:subscriptionId": subscriptionId };
}

export interface RunOptions {
  policyPack?: boolean;
  /** Written to a file and passed as `--policy-pack-config`. */
  policyConfig?: Record<string, unknown>;
  /** Extra environment for the engine and its plugins (e.g. AKS_ACR_GUARD_SHARED_STACK=0). */
  env?: Record<string, string>;
}

/** A policy event as a finding: the engine's events from `preview`/`up`, and `pulumi policy analyze --json`'s lines. */
export function findingOf(p: NonNullable<EngineEvent["policyEvent"]>): EngineFinding {
  return {
    policy: p.policyName,
    level: p.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
    resource: p.resourceUrn ? p.resourceUrn.split("::").pop()! : "",
    urn: p.resourceUrn ?? "",
    message: p.message,
  };
}

function collector() {
  const findings: EngineFinding[] = [];
  const steps: RunResult["steps"] = [];
  let changes: Record<string, number> = {};
  const onEvent = (e: EngineEvent) => {
    if (e.policyEvent) findings.push(findingOf(e.policyEvent));
    if (e.summaryEvent) changes = e.summaryEvent.resourceChanges as Record<string, number>;
    const step = e.resourcePreEvent?.metadata;
    if (step) steps.push({ op: step.op, type: step.type, name: step.urn.split("::").pop()! });
  };
  return { findings, onEvent, changes: () => changes, steps };
}

async function withOptions(ctx: EngineContext, stack: Stack, opts: RunOptions) {
  const args: { policyPacks?: string[]; policyPackConfigs?: string[] } = {};
  if (opts.policyPack) args.policyPacks = [POLICIES_DIR];
  if (opts.policyConfig) {
    const file = path.join(ctx.dir, `policy-config-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(opts.policyConfig));
    args.policyPackConfigs = [file];
  }
  const ws = stack.workspace as LocalWorkspace;
  const saved = { ...ws.envVars };
  Object.assign(ws.envVars, opts.env ?? {});
  return {
    args,
    restore: async () => {
      for (const k of Object.keys(ws.envVars)) delete ws.envVars[k];
      Object.assign(ws.envVars, saved);
    },
  };
}

/** The findings the engine reported, deduplicated (the CLI reports a violation once per event). */
export function unique(findings: EngineFinding[]): EngineFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.policy}|${f.level}|${f.urn}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Runs a preview or an update with the run options, collecting what the engine reports; a failed
 * run (a mandatory violation fails it) is a result with its error, not a throw.
 */
async function runStack(
  ctx: EngineContext,
  stack: Stack,
  opts: RunOptions,
  run: (args: Record<string, unknown>) => Promise<Record<string, unknown>>,
  /** The outputs a failed run leaves (an update's: what it got to). */
  outputsAfterFailure: () => Promise<Record<string, unknown>> = async () => ({}),
): Promise<RunResult> {
  const c = collector();
  const { args, restore } = await withOptions(ctx, stack, opts);
  const result = (ok: boolean, outputs: Record<string, unknown>, error?: string): RunResult => ({
    ok,
    ...(error !== undefined ? { error } : {}),
    findings: unique(c.findings),
    changes: c.changes(),
    steps: c.steps,
    outputs,
  });
  try {
    return result(true, await run({ ...args, onEvent: c.onEvent }));
  } catch (e) {
    return result(false, await outputsAfterFailure().catch(() => ({})), (e as Error).message);
  } finally {
    await restore();
  }
}

/** A stack's outputs, values only. */
async function stackOutputs(stack: Stack): Promise<Record<string, unknown>> {
  return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}

export async function preview(ctx: EngineContext, stack: Stack, opts: RunOptions = {}): Promise<RunResult> {
  return runStack(ctx, stack, opts, async (args) => {
    await stack.preview(args);
    return {};
  });
}

export async function up(ctx: EngineContext, stack: Stack, opts: RunOptions = {}): Promise<RunResult> {
  return runStack(
    ctx,
    stack,
    opts,
    async (args) => {
      const r = await stack.up(args);
      return Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
    },
    () => stackOutputs(stack),
  );
}

/**
 * azure-native's inputs for an ARM record (core/stack/azure-native-shape.ts). The provider deploys into
 * its own subscription: a record of another one is refused, not moved.
 */

export function inputsOfRecord(
  token: string,
  record: ArmRecord,
  subscriptionId: string,
): Record<string, unknown> {
  const inputs = armInputsOf(token, record);
  // What azure-native 3.28 has no input for (a registry's roleAssignmentMode): a stack cannot declare it.
  for (const k of UNDECLARABLE[token] ?? []) delete inputs[k];
  const id = armIdOf(token, inputs, subscriptionId);
  if (id.toLowerCase() !== record.id.toLowerCase()) {
    throw new Error(`engine suite: ${record.id} would be deployed as ${id} (subscription ${subscriptionId})`);
  }
  return inputs;
}

/** Records a program declares with azure-native; the rest (Graph, firewall policies, ...) exist outside the stack. */
export function declarable(r: ArmRecord): string | undefined {
  const token = ARM_TYPE_TOKENS[r.type.toLowerCase()];
  return token?.startsWith("azure-native:") && knows(token) ? token : undefined;
}

/** An azure-native provider, as the SDK's Provider class declares one. */
class AzureNativeProvider extends pulumi.ProviderResource {
  constructor(name: string, args: Record<string, string>) {
    super("azure-native", name, args);
  }
}

/** A resource declared by token, as any provider's SDK class declares it. */
class Declared extends pulumi.CustomResource {
  constructor(token: string, name: string, inputs: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(token, name, inputs, opts);
  }
}

/**
 * Declares a recorded world as a stack that owns it would: every ARM record azure-native can
 * declare, named as the offline preview names them (`offline/world.ts` stackOf), children after
 * their parents, and the Kubernetes objects on the default provider.
 */
export function declareWorld(world: World, subscriptionId: string): Map<string, pulumi.CustomResource> {
  const unique = uniqueNamer();
  const byId = new Map<string, pulumi.CustomResource>();
  const records = world.resources
    .map((r) => ({ r, token: declarable(r) }))
    .filter((x): x is { r: ArmRecord; token: string } => !!x.token)
    .sort((a, b) => a.r.id.split("/").length - b.r.id.split("/").length);
  // A record in another subscription (a landing zone's connectivity hub) is declared through a
  // provider for that subscription, as a stack that owns such an environment declares it.
  const configs = subscriptionProviders(world);
  const providers = new Map<string, pulumi.ProviderResource>();
  const providerFor = (sub: string) => {
    const key = sub.toLowerCase();
    const p = configs.get(key);
    if (key === subscriptionId.toLowerCase() || !p) return undefined;
    if (!providers.has(key)) {
      const metadataHost = new pulumi.Config("azure-native").require("metadataHost");
      providers.set(key, new AzureNativeProvider(p.name, { ...p.config, metadataHost }));
    }
    return providers.get(key);
  };
  for (const { r, token } of records) {
    const parent = [...byId.entries()].find(([id]) => r.id.toLowerCase().startsWith(id + "/"))?.[1];
    const sub = parseArmId(r.id)?.subscriptionId ?? subscriptionId;
    const res = new Declared(token, unique(token, r.name), inputsOfRecord(token, r, sub), {
      dependsOn: parent ? [parent] : [],
      provider: providerFor(sub),
    });
    byId.set(r.id.toLowerCase(), res);
  }
  // Workloads run on the recorded cluster: declared after it, as a program whose Kubernetes provider
  // comes from the cluster declares them (the engine then analyzes the cluster first).
  const clusters = [...byId.entries()]
    .filter(([id]) => /\/microsoft\.containerservice\/managedclusters\/[^/]+(\/agentpools\/[^/]+)?$/.test(id))
    .map(([, r]) => r);
  for (const o of world.kubernetes) {
    const group = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
    const base = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
    new Declared(
      `kubernetes:${group}:${o.kind}`,
      unique(`kubernetes:${group}:${o.kind}`, base),
      kubernetesInputsOf(o),
      { dependsOn: clusters },
    );
  }
  return byId;
}

/**
 * The fake Azure set up for a recorded world a stack will own: what exists outside the stack, what
 * was changed outside it, and each subscription's tenant.
 */
export function seedWorld(ctx: EngineContext, world: World): void {
  ctx.azure.seed(outsideTheStack(world));
  ctx.azure.changeOutside(changedOutside(world));
  for (const [sub, tenant] of subscriptionTenants(world.resources)) ctx.azure.tenants.set(sub, tenant);
}

/** What the recorded world set outside the stack on resources it declares: the settings azure-native cannot declare. */
export function changedOutside(world: World): { id: string; properties: Record<string, unknown> }[] {
  return world.resources.flatMap((r) => {
    const keys = UNDECLARABLE[declarable(r) ?? ""] ?? [];
    const properties = Object.fromEntries(
      keys.filter((k) => r.properties?.[k] !== undefined).map((k) => [k, r.properties![k]]),
    );
    return Object.keys(properties).length > 0 ? [{ id: r.id, properties }] : [];
  });
}

/** What exists outside the stack: the records no azure-native resource declares (Graph, firewall policies). */
export function outsideTheStack(world: World): ArmRecord[] {
  return world.resources.filter((r) => !declarable(r));
}

/** The program's stack config for a world: its config, and the cluster and registry it holds. */
export function programConfig(world: World): Record<string, string> {
  const config = { ...world.config, ...programTargets(world) };
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [`aks-acr-guard:${k}`, v]));
}

/**
 * A stack that owns a recorded environment: its declarable records, its workloads, and an
 * AksAcrObserver for what it does not own (node-pool scale sets, Graph credentials).
 */
export async function environment(world: World, sub: string): Promise<void> {
  const declared = declareWorld(world, sub);
  const { AksAcrObserver } = await import("../../components");
  const config = { ...world.config, ...programTargets(world) };
  // The observer reads the cluster and the registry once they exist: on a first `up` the stack is
  // still creating them (their ids, as outputs, say when), and a read before that finds nothing.
  const once = (id: string | undefined) => {
    const r = id ? declared.get(id.toLowerCase()) : undefined;
    return r ? r.id.apply(() => id!) : id;
  };
  new AksAcrObserver("environment", {
    clusterId: once(config.clusterId)!,
    registryId: once(config.registryId)!,
    firewallPolicyId: config.firewallPolicyId,
    privateDnsZoneId: config.privateDnsZoneId,
    // The registry's images the workloads run: the observer reads their platforms.
    images: world.kubernetes.flatMap(imagesOf),
  });
}

/** The container images of a Kubernetes object, wherever its pod spec sits. */
function imagesOf(o: Record<string, unknown>): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "image" && typeof x === "string" && key && /containers$/i.test(key)) found.push(x);
        else walk(x, k);
      }
    }
  };
  walk(o);
  return [...new Set(found)];
}

export function subscriptionOf(world: World): string {
  return homeSubscription(world);
}
