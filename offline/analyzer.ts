/**
 * A policy pack driven as the engine drives it: starts the pack exactly as the Pulumi engine does
 * (`@pulumi/pulumi/cmd/run-policy-pack` in the pack's folder), reads the port it prints, and
 * drives it over gRPC: GetAnalyzerInfo, Configure (each policy at its level with its schema
 * defaults plus overrides, validated as the CLI validates them), Analyze and AnalyzeStack.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/analyzer_pb";
import {
  dependencyUrns,
  engineOrder,
  engineResources,
  inputsOf,
  parentUrnOf,
  PolicyResourceInput,
  urnOf,
} from "./resources";
import { PolicyConfigRejected, validateAgainstSchema } from "./config-schema";
import { PACKAGE_ROOT } from "./package-root";

export { PACKAGE_ROOT };

/** The same folder: in the repository's tests, the repository. */
export const REPO_ROOT = PACKAGE_ROOT;
export const POLICIES_DIR = path.join(PACKAGE_ROOT, "policies");

/**
 * Loaded into the pack's process before the runner: the pack ends when the process that started
 * it is gone, however that ended (a CI step killed at its timeout, a SIGKILL), instead of running
 * on at full CPU. Once the parent is gone, the child is adopted and its parent pid changes.
 */
const PARENT_WATCH =
  "data:text/javascript," +
  encodeURIComponent(
    "const parent = Number(process.env.AKS_ACR_GUARD_PARENT_PID);" +
      "if (parent) setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();",
  );
const RUN_POLICY_PACK = path.join(
  path.dirname(require.resolve("@pulumi/pulumi/package.json")),
  "cmd",
  "run-policy-pack",
);

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: Record<number, EnforcementLevel> = {
  [proto.EnforcementLevel.ADVISORY]: "advisory",
  [proto.EnforcementLevel.MANDATORY]: "mandatory",
  [proto.EnforcementLevel.REMEDIATE]: "remediate",
  [proto.EnforcementLevel.DISABLED]: "disabled",
};
const LEVEL_CODES: Record<EnforcementLevel, proto.EnforcementLevel> = {
  advisory: proto.EnforcementLevel.ADVISORY,
  mandatory: proto.EnforcementLevel.MANDATORY,
  remediate: proto.EnforcementLevel.REMEDIATE,
  disabled: proto.EnforcementLevel.DISABLED,
};

export interface Diagnostic {
  policyName: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn: string;
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity: number;
  url: string;
  remediationSteps: string;
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface PackInfo {
  name: string;
  version: string;
  policies: PolicyInfo[];
}

/** A policy's config as a stack or organisation sets it: a level and/or properties. */
export type PolicyConfig = { enforcementLevel?: EnforcementLevel } & Record<string, unknown>;

function call<Req, Res>(
  fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Analyze requests in flight at once (the engine's steps run in parallel too). */
const IN_FLIGHT = 16;

export class PolicyPackClient {
  private infoCache?: PackInfo;

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: rpc.AnalyzerClient,
    /** The pack's stderr so far: where a crash or a console.error shows. */
    readonly stderr: () => string,
  ) {}

  /**
   * Starts the pack in `packDir` the way the engine does and connects to it; `env` is added to
   * this process's environment for the pack; `runner` is the `run-policy-pack` of the
   * `@pulumi/pulumi` to start it with (this package's peer by default).
   */
  static async start(
    packDir: string = POLICIES_DIR,
    env: NodeJS.ProcessEnv = {},
    runner: string = RUN_POLICY_PACK,
  ): Promise<PolicyPackClient> {
    const child = spawn(process.execPath, ["--import", PARENT_WATCH, runner, "127.0.0.1:1", "."], {
      cwd: packDir,
      env: { ...process.env, ...env, AKS_ACR_GUARD_PARENT_PID: String(process.pid) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`policy pack did not print a port in 30 s\n${stderr}`)),
        30_000,
      );
      child.stdout!.on("data", (d) => {
        out += d;
        const line = out.split("\n")[0];
        if (out.includes("\n") && /^\d+$/.test(line.trim())) {
          clearTimeout(timer);
          resolve(Number(line.trim()));
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`policy pack exited with ${code} before printing a port\n${stderr}`));
      });
    });
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    return new PolicyPackClient(child, client, () => stderr);
  }

  async info(): Promise<PackInfo> {
    if (this.infoCache) return this.infoCache;
    const res = await call<Empty, proto.AnalyzerInfo>(
      this.client.getAnalyzerInfo.bind(this.client),
      new Empty(),
    );
    this.infoCache = {
      name: res.getName(),
      version: res.getVersion(),
      policies: res.getPoliciesList().map((p) => {
        const schema = p.getConfigschema();
        return {
          name: p.getName(),
          description: p.getDescription(),
          enforcementLevel: LEVELS[p.getEnforcementlevel()],
          severity: p.getSeverity(),
          url: p.getUrl(),
          remediationSteps: p.getRemediationSteps(),
          configSchema: schema && {
            properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<
              string,
              Record<string, unknown>
            >,
            required: schema.getRequiredList(),
          },
        };
      }),
    };
    return this.infoCache;
  }

  /**
   * Configures every policy as the CLI does: its default level and its schema's defaults, with
   * `overrides` on top, validated against the schema (the CLI refuses config that does not fit).
   */
  async configure(overrides: Record<string, PolicyConfig> = {}): Promise<void> {
    const info = await this.info();
    const unknownPolicies = Object.keys(overrides).filter((n) => !info.policies.some((p) => p.name === n));
    if (unknownPolicies.length)
      throw new PolicyConfigRejected(
        `config names policies the pack does not have: ${unknownPolicies.join(", ")}; expected one of ${info.policies.map((p) => p.name).join(", ")}`,
      );
    const req = new proto.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    const levels: EnforcementLevel[] = [];
    for (const p of info.policies) {
      const { enforcementLevel, ...props } = overrides[p.name] ?? {};
      const properties: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
        if ("default" in schema) properties[key] = schema.default;
      }
      Object.assign(properties, props);
      if (p.configSchema) validateAgainstSchema(p.name, properties, p.configSchema);
      const cfg = new proto.PolicyConfig();
      const level = enforcementLevel ?? p.enforcementLevel;
      if (!(level in LEVEL_CODES)) {
        throw new PolicyConfigRejected(
          `${p.name}.enforcementLevel: ${JSON.stringify(level)} is not one of ${Object.keys(LEVEL_CODES).join(", ")}`,
        );
      }
      cfg.setEnforcementlevel(LEVEL_CODES[level]);
      levels.push(level);
      cfg.setProperties(Struct.fromJavaScript(properties as never));
      map.set(p.name, cfg);
    }
    await call(this.client.configure.bind(this.client), req);
    this.remediating = levels.includes("remediate");
    await this.configureStack();
  }

  /** ConfigureStack: the engine sends it once at the start of every run (preview or update). */
  async configureStack(dryRun = true): Promise<void> {
    const stack = new proto.AnalyzerStackConfigureRequest();
    stack.setStack("test");
    stack.setProject("aks-acr-guard");
    stack.setOrganization("organization");
    stack.setDryRun(dryRun);
    await call(this.client.configureStack.bind(this.client), stack);
  }

  /**
   * Whether any policy is at level `remediate` (its default, or as configured last). @pulumi/policy's
   * Remediate skips every policy at another level, so where none is, its answer is empty for every
   * resource and the round trip is left out: a fleet recording has thousands of resources.
   */
  private async remediates(): Promise<boolean> {
    this.remediating ??= (await this.info()).policies.some((p) => p.enforcementLevel === "remediate");
    return this.remediating;
  }
  private remediating?: boolean;

  /**
   * Remediate, as the engine calls it before each Analyze: what policies at level `remediate`
   * change in one resource's inputs.
   */
  async remediate(
    r: PolicyResourceInput,
  ): Promise<{ policyName: string; properties: Record<string, unknown> }[]> {
    const res = await call<proto.AnalyzeRequest, proto.RemediateResponse>(
      this.client.remediate.bind(this.client),
      analyzeRequest(r),
    );
    return res.getRemediationsList().map((m) => ({
      policyName: m.getPolicyname(),
      properties: (m.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
    }));
  }

  /** Remediate, then Analyze with the remediated inputs: one resource's step. */
  async analyze(r: PolicyResourceInput): Promise<Diagnostic[]> {
    let inputs = inputsOf(r);
    if (await this.remediates()) for (const m of await this.remediate(r)) inputs = m.properties;
    const req = analyzeRequest({ ...r, inputs });
    const res = await call<proto.AnalyzeRequest, proto.AnalyzeResponse>(
      this.client.analyze.bind(this.client),
      req,
    );
    // A resource policy's violation names no URN: the engine attributes it to the resource analyzed.
    return diagnostics(res).map((d) => ({ ...d, urn: d.urn || urnOf(r) }));
  }

  /**
   * A preview as the engine runs it: ConfigureStack, Remediate and Analyze for each resource (the
   * stack and the providers first), then AnalyzeStack with all of them; the diagnostics of both.
   * `stackOutputs` are the program's exports.
   */
  async analyzeAll(
    resources: PolicyResourceInput[],
    stackOutputs: Record<string, unknown> = {},
  ): Promise<Diagnostic[]> {
    const each = await this.analyzeEach(resources, stackOutputs);
    return [...each, ...(await this.analyzeStack(resources, stackOutputs))];
  }

  /**
   * The start of a run: ConfigureStack, then Remediate and Analyze for the stack, the providers and
   * each resource. The engine runs independent steps in parallel; so does this, a few requests in
   * flight at a time (a recording of a fleet has thousands of resources, and one at a time the
   * round trips dominate), and the diagnostics come back in the order given.
   */
  async analyzeEach(
    resources: PolicyResourceInput[],
    stackOutputs: Record<string, unknown> = {},
  ): Promise<Diagnostic[]> {
    await this.configureStack();
    const all = engineResources(resources, stackOutputs);
    const results: Diagnostic[][] = new Array(all.length);
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const i = next++;
        results[i] = await this.analyze(all[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, all.length) }, worker));
    return results.flat();
  }

  /** AnalyzeStack: the stack, the providers and every resource, in no particular order. */
  async analyzeStack(
    resources: PolicyResourceInput[],
    stackOutputs: Record<string, unknown> = {},
  ): Promise<Diagnostic[]> {
    return this.send(stackRequest(resources, stackOutputs));
  }

  /** Sends a request built once with `stackRequest` (the bench times the pack, not the client). */
  async send(req: proto.AnalyzeStackRequest): Promise<Diagnostic[]> {
    const res = await call<proto.AnalyzeStackRequest, proto.AnalyzeResponse>(
      this.client.analyzeStack.bind(this.client),
      req,
    );
    return diagnostics(res);
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill();
      await exited;
    }
  }
}

/** Sets what every resource message carries: type, name, URN and the given properties. */
function described<
  M extends {
    setType(v: string): unknown;
    setName(v: string): unknown;
    setUrn(v: string): unknown;
    setProperties(v?: Struct): unknown;
  },
>(message: M, r: PolicyResourceInput, props: Record<string, unknown>): M {
  message.setType(r.type);
  message.setName(r.name);
  message.setUrn(urnOf(r));
  message.setProperties(Struct.fromJavaScript(props as never));
  return message;
}

/** A resource's provider as both requests carry it: the provider's inputs. */
function providerOf(p: PolicyResourceInput): proto.AnalyzerProviderResource {
  return described(new proto.AnalyzerProviderResource(), p, inputsOf(p));
}

/** The Analyze (and Remediate) request for one resource: its inputs. */
function analyzeRequest(r: PolicyResourceInput): proto.AnalyzeRequest {
  const req = described(new proto.AnalyzeRequest(), r, inputsOf(r));
  const opts = new proto.AnalyzerResourceOptions();
  const parent = parentUrnOf(r);
  if (parent) opts.setParent(parent);
  req.setOptions(opts);
  if (r.provider) req.setProvider(providerOf(r.provider));
  return req;
}

/** The AnalyzeStack request the engine sends for these resources: their outputs. */
export function stackRequest(
  resources: PolicyResourceInput[],
  stackOutputs: Record<string, unknown> = {},
): proto.AnalyzeStackRequest {
  const req = new proto.AnalyzeStackRequest();
  req.setResourcesList(
    engineOrder(engineResources(resources, stackOutputs)).map((r) => {
      const ar = described(new proto.AnalyzerResource(), r, r.props);
      const opts = new proto.AnalyzerResourceOptions();
      const parent = parentUrnOf(r);
      if (parent) {
        ar.setParent(parent);
        opts.setParent(parent);
      }
      ar.setOptions(opts);
      if (r.provider) ar.setProvider(providerOf(r.provider));
      ar.setDependenciesList(dependencyUrns(r));
      const deps = ar.getPropertydependenciesMap();
      for (const [key, from] of Object.entries(r.propertyDependencies ?? {})) {
        const d = new proto.AnalyzerPropertyDependencies();
        d.setUrnsList(from.map(urnOf));
        deps.set(key, d);
      }
      return ar;
    }),
  );
  return req;
}

function diagnostics(res: proto.AnalyzeResponse): Diagnostic[] {
  return res.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()],
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}
