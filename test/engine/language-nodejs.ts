/**
 * A stand-in for the Node language plugin, `pulumi-language-nodejs`, for the newest CLI in CI.
 *
 * Pulumi CLI 3.249 and later start a Node policy pack through that plugin's RunPlugin (kind
 * "analyzer") whenever the plugin is installed, and every released CLI ships it. Its Go module is
 * not on the Go module proxy, so CI cannot build it. This does only what the real plugin does for a
 * policy pack (pulumi/pulumi: sdk/nodejs/cmd/pulumi-language-nodejs RunPlugin, sdk/policy_proxy.go):
 *
 * 1. serve an Analyzer proxy and print its port on the RunPlugin stream;
 * 2. wait for ConfigureStack (any other call first means "no stack configuration");
 * 3. start `node <@pulumi/pulumi/cmd/run-policy-pack resolved from the pack's folder> <nodeargs> <args>
 *    <pack folder>` in the pack's folder, with the environment the engine sent (not the plugin's
 *    own), PULUMI_NODEJS_TYPESCRIPT / PULUMI_NODEJS_TSCONFIG_PATH from the runtime options of
 *    PulumiPolicy.yaml (`typescript` defaults to true), and PULUMI_NODEJS_ORGANIZATION/PROJECT/
 *    STACK/DRY_RUN and PULUMI_CONFIG from that configuration;
 * 4. read the pack's port from its stdout, forward ConfigureStack, then proxy every call, and pass
 *    the rest of its output on.
 *
 * Every other language-host call answers UNIMPLEMENTED. `test/engine/run.ts` uses the real plugin
 * instead where `AKS_ACR_GUARD_LANGUAGE_NODEJS` names one, and `language-plugin.engine.ts` checks
 * that the two start the pack alike.
 */
import * as grpc from "@grpc/grpc-js";
import { spawn, ChildProcess } from "node:child_process";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import * as languageRpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as language from "@pulumi/pulumi/proto/language_pb";
import * as plugin from "@pulumi/pulumi/proto/plugin_pb";

export const STAND_IN_VERSION = "0.0.0-aks-acr-guard-stand-in";

type Unary = (call: { request: Buffer }, cb: grpc.sendUnaryData<Buffer>) => void;
const raw = (b: Buffer) => b;

const unimplemented = (what: string): grpc.ServiceError =>
  Object.assign(new Error(`${what} is not implemented by the aks-acr-guard stand-in language plugin`), {
    code: grpc.status.UNIMPLEMENTED,
    details: `${what} is not implemented by the aks-acr-guard stand-in language plugin`,
    metadata: new grpc.Metadata(),
  });

/** The Analyzer service with its messages passed through as bytes: every method is forwarded as it is. */
function passThrough(def: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(def).map(([k, m]) => [
      k,
      {
        ...m,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    ]),
  ) as grpc.ServiceDefinition;
}

const ANALYZER = passThrough(analyzerRpc.AnalyzerService as unknown as grpc.ServiceDefinition);

/** One policy pack started through RunPlugin: the proxy, then the pack behind it. */
class PolicyProxy {
  private server = new grpc.Server();
  private configured!: (config: analyzer.AnalyzerStackConfigureRequest | undefined) => void;
  private configuration = new Promise<analyzer.AnalyzerStackConfigureRequest | undefined>(
    (resolve) => (this.configured = resolve),
  );
  private attached!: (client: grpc.Client) => void;
  private failed!: (e: Error) => void;
  private client = new Promise<grpc.Client>((resolve, reject) => {
    this.attached = resolve;
    this.failed = reject;
  });
  private configBytes?: Buffer;

  constructor() {
    // A pack that fails before any call waits on it is reported through RunPlugin, not as an
    // unhandled rejection that would end this plugin and every other pack it started.
    this.client.catch(() => undefined);
  }

  async listen(): Promise<number> {
    const handlers: Record<string, Unary> = {};
    for (const [name, m] of Object.entries(ANALYZER)) {
      if (name === "configureStack") {
        handlers[name] = (call, cb) => {
          this.configBytes = call.request;
          this.configured(analyzer.AnalyzerStackConfigureRequest.deserializeBinary(call.request));
          cb(null, Buffer.from(new analyzer.AnalyzerStackConfigureResponse().serializeBinary()));
        };
      } else if (name === "handshake") {
        handlers[name] = (_call, cb) =>
          cb(null, Buffer.from(new analyzer.AnalyzerHandshakeResponse().serializeBinary()));
      } else {
        handlers[name] = (call, cb) => {
          // Anything before ConfigureStack (`pulumi policy publish`): the pack starts with no configuration.
          this.configured(undefined);
          this.client.then(
            (client) =>
              client.makeUnaryRequest(m.path, raw, raw, call.request, (err, res) =>
                err ? cb(err) : cb(null, res as Buffer),
              ),
            (e: Error) => cb(Object.assign(e, { code: grpc.status.UNAVAILABLE })),
          );
        };
      }
    }
    this.server.addService(ANALYZER, handlers);
    return new Promise((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  }

  awaitConfiguration() {
    return this.configuration;
  }

  /** Reads the pack's port from the first line of its stdout, then forwards ConfigureStack. */
  attach(port: number): void {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    if (!this.configBytes) {
      this.attached(client);
      return;
    }
    client.makeUnaryRequest(
      ANALYZER.configureStack.path,
      raw,
      raw,
      this.configBytes,
      (err: grpc.ServiceError | null) => {
        if (err && err.code !== grpc.status.UNIMPLEMENTED)
          this.failed(new Error(`policy pack configuration failed: ${err.message}`));
        else this.attached(client);
      },
    );
  }

  fail(e: Error) {
    this.failed(e);
  }

  close() {
    this.server.forceShutdown();
  }
}

/** The runtime options of PulumiPolicy.yaml as the real plugin reads them (its parseOptions). */
export function runtimeOptions(options: Record<string, unknown>): {
  env: string[];
  nodeargs: string[];
} {
  const typescript = options.typescript ?? true;
  if (typeof typescript !== "boolean") throw new Error("typescript option must be a boolean");
  const tsconfig = options.tsconfig;
  if (tsconfig !== undefined && typeof tsconfig !== "string")
    throw new Error("tsconfigpath option must be a string");
  const nodeargs = options.nodeargs ?? "";
  if (typeof nodeargs !== "string") throw new Error("nodeargs option must be a string");
  const env: string[] = [];
  if (typescript) env.push("PULUMI_NODEJS_TYPESCRIPT=true");
  if (tsconfig) env.push(`PULUMI_NODEJS_TSCONFIG_PATH=${tsconfig}`);
  // The real plugin splits nodeargs as a shell would (quotes too); whitespace is enough for the packs here.
  return { env, nodeargs: nodeargs.split(/\s+/).filter(Boolean) };
}

/** The environment the real plugin adds for a policy pack from the stack configuration. */
export function packEnvironment(config: analyzer.AnalyzerStackConfigureRequest | undefined): string[] {
  if (!config) return [];
  const env: string[] = [];
  const add = (k: string, v: string) => v !== "" && env.push(`${k}=${v}`);
  add("PULUMI_NODEJS_ORGANIZATION", config.getOrganization());
  add("PULUMI_NODEJS_PROJECT", config.getProject());
  add("PULUMI_NODEJS_STACK", config.getStack());
  add("PULUMI_NODEJS_DRY_RUN", String(config.getDryRun()));
  // Go's json.Marshal of a map: keys sorted.
  const entries = [...config.getConfigMap().entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  add("PULUMI_CONFIG", JSON.stringify(Object.fromEntries(entries)));
  return env;
}

function runPlugin(call: grpc.ServerWritableStream<language.RunPluginRequest, language.RunPluginResponse>) {
  const req = call.request;
  const send = (kind: "stdout" | "stderr", data: Buffer | string) => {
    const res = new language.RunPluginResponse();
    if (kind === "stdout") res.setStdout(Buffer.from(data));
    else res.setStderr(Buffer.from(data));
    call.write(res);
  };
  if (req.getKind() !== "analyzer") {
    call.emit("error", unimplemented(`RunPlugin of a ${req.getKind() || "plugin"}`));
    return;
  }
  const dir = req.getInfo()?.getProgramDirectory() || req.getPwd();
  let options: ReturnType<typeof runtimeOptions>;
  try {
    options = runtimeOptions((req.getInfo()?.getOptions()?.toJavaScript() ?? {}) as Record<string, unknown>);
  } catch (e) {
    call.emit("error", Object.assign(e as Error, { code: grpc.status.INVALID_ARGUMENT }));
    return;
  }
  const proxy = new PolicyProxy();
  let child: ChildProcess | undefined;
  call.on("cancelled", () => {
    child?.kill("SIGKILL");
    proxy.close();
  });
  const fail = (e: Error) => {
    proxy.fail(e);
    proxy.close();
    call.emit("error", Object.assign(e, { code: grpc.status.UNKNOWN, details: e.message }));
  };
  void (async () => {
    let runner: string;
    try {
      runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
    } catch {
      fail(
        new Error(
          `it looks like the policy pack's dependencies are not installed; try running npm install in "${dir}"`,
        ),
      );
      return;
    }
    const port = await proxy.listen();
    send("stdout", `${port}\n`);
    const config = await proxy.awaitConfiguration();
    const env = Object.fromEntries(
      [...req.getEnvList(), ...options.env, ...packEnvironment(config)].map((kv) => {
        const i = kv.indexOf("=");
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    child = spawn(process.execPath, [runner, ...options.nodeargs, ...req.getArgsList(), dir], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    let portRead = false;
    child.stdout!.on("data", (chunk: Buffer) => {
      if (portRead) return send("stdout", chunk);
      pending += chunk.toString("utf8");
      const nl = pending.indexOf("\n");
      if (nl < 0) return;
      portRead = true;
      const packPort = Number(pending.slice(0, nl).trim());
      if (!Number.isInteger(packPort) || packPort <= 0) {
        fail(new Error(`could not read policy pack port: ${JSON.stringify(pending.slice(0, nl))}`));
        return;
      }
      proxy.attach(packPort);
      if (pending.length > nl + 1) send("stdout", pending.slice(nl + 1));
    });
    child.stderr!.on("data", (chunk: Buffer) => send("stderr", chunk));
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      proxy.close();
      if (code === 0) call.end();
      else fail(new Error(`Program exited with non-zero exit code: ${code ?? signal}`));
    });
  })().catch(fail);
}

async function main() {
  const server = new grpc.Server();
  const notHere = (name: string) => (_call: unknown, cb: (e: grpc.ServiceError) => void) =>
    cb(unimplemented(name));
  const handlers: Record<string, unknown> = {};
  for (const name of Object.keys(languageRpc.LanguageRuntimeService)) handlers[name] = notHere(name);
  handlers.handshake = (_call: unknown, cb: grpc.sendUnaryData<language.LanguageHandshakeResponse>) =>
    cb(null, new language.LanguageHandshakeResponse());
  handlers.getPluginInfo = (_call: unknown, cb: grpc.sendUnaryData<plugin.PluginInfo>) =>
    cb(null, new plugin.PluginInfo().setVersion(STAND_IN_VERSION));
  handlers.runPlugin = runPlugin;
  handlers.installDependencies = (call: grpc.ServerWritableStream<unknown, unknown>) =>
    call.emit("error", unimplemented("installDependencies"));
  server.addService(
    languageRpc.LanguageRuntimeService,
    handlers as unknown as languageRpc.ILanguageRuntimeServer,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`${port}\n`);
  const stop = () => {
    server.forceShutdown();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}
