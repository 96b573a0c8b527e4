/**
 * The stand-in Node language plugin (`test/engine/language-nodejs.ts`) starts a policy pack as the
 * real `pulumi-language-nodejs` does: this test plays the engine (a health service, RunPlugin of
 * kind "analyzer", then the Analyzer calls a CLI makes) against each plugin and checks what the pack
 * process was given. The real plugin runs only where `AKS_ACR_GUARD_LANGUAGE_NODEJS` names a built
 * one (its Go module is not on the Go module proxy); the expectations are what it was seen to do.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import * as languageRpc from "@pulumi/pulumi/proto/language_grpc_pb";
import * as language from "@pulumi/pulumi/proto/language_pb";
import { alive } from "../harness";
import { runtimeOptions } from "./language-nodejs";

const REPO = path.resolve(__dirname, "..", "..");
const PACK = path.join(REPO, "test", "fixtures", "start-pack");
const STAND_IN = path.join(__dirname, "language-nodejs.ts");
const REAL = process.env.AKS_ACR_GUARD_LANGUAGE_NODEJS;

/** An engine as far as a language plugin asks one: `grpc.health.v1.Health/Check` answers SERVING. */
async function fakeEngine(): Promise<{ address: string; close(): void }> {
  const server = new grpc.Server();
  const raw = (b: Buffer) => b;
  server.addService(
    {
      check: {
        path: "/grpc.health.v1.Health/Check",
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    { check: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0x08, 0x01])) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

/** The first line a process prints on stdout, as a port. */
function portOf(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    const timer = setTimeout(() => reject(new Error(`${what} printed no port in 30 s: ${err}`)), 30_000);
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(Number(out.split("\n")[0].trim()));
      }
    });
    child.on("exit", (code) => reject(new Error(`${what} exited with ${code}: ${err}`)));
  });
}

const unary = <Req, Res>(
  fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown,
  req: Req,
) => new Promise<Res>((resolve, reject) => fn(req, (e, r) => (e ? reject(e) : resolve(r))));

interface Started {
  info: string;
  report: { pid: number; cwd: string; env: Record<string, string> };
  packExitedAfterCancel: boolean;
}

/** Starts the start-pack through a plugin, as CLI 3.249+ does, and reads what the pack was given. */
async function startThrough(command: string[], options?: Record<string, unknown>): Promise<Started> {
  const engine = await fakeEngine();
  const plugin = spawn(command[0], [...command.slice(1), engine.address], {
    cwd: REPO,
    env: { ...process.env, AKS_ACR_GUARD_START_PLUGIN_ONLY: "the plugin's own environment" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const port = await portOf(plugin, "the language plugin");
    const runtime = new languageRpc.LanguageRuntimeClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const info = new language.ProgramInfo()
      .setRootDirectory(PACK)
      .setProgramDirectory(PACK)
      .setEntryPoint(".");
    if (options) info.setOptions(Struct.fromJavaScript(options as never));
    const req = new language.RunPluginRequest()
      .setPwd(REPO)
      .setArgsList([engine.address])
      .setEnvList([
        `PATH=${process.env.PATH}`,
        `HOME=${process.env.HOME}`,
        "AKS_ACR_GUARD_START_FROM_ENGINE=yes",
      ])
      .setInfo(info)
      .setKind("analyzer")
      .setName("start-pack");
    const stream = runtime.runPlugin(req);
    let out = "";
    let err = "";
    const proxyPort = new Promise<number>((resolve, reject) => {
      stream.on("data", (res: language.RunPluginResponse) => {
        if (res.getOutputCase() === language.RunPluginResponse.OutputCase.STDERR)
          err += Buffer.from(res.getStderr_asU8()).toString();
        else out += Buffer.from(res.getStdout_asU8()).toString();
        if (out.includes("\n")) resolve(Number(out.split("\n")[0]));
      });
      stream.on("error", (e: grpc.ServiceError) => {
        if (e.code !== grpc.status.CANCELLED) reject(new Error(`${e.message}\n${err}`));
      });
    });
    const pack = new analyzerRpc.AnalyzerClient(
      `127.0.0.1:${await proxyPort}`,
      grpc.credentials.createInsecure(),
    );
    await unary(
      pack.handshake.bind(pack),
      new analyzer.AnalyzerHandshakeRequest()
        .setEngineAddress(engine.address)
        .setRootDirectory(PACK)
        .setProgramDirectory(PACK),
    );
    const configure = new analyzer.AnalyzerStackConfigureRequest()
      .setStack("dev")
      .setProject("payments")
      .setOrganization("contoso")
      .setDryRun(true);
    configure.getConfigMap().set("payments:region", "westeurope");
    await unary(pack.configureStack.bind(pack), configure);
    const infoRes = await unary<Empty, analyzer.AnalyzerInfo>(pack.getAnalyzerInfo.bind(pack), new Empty());
    const analyzed = await unary<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>(
      pack.analyzeStack.bind(pack),
      new analyzer.AnalyzeStackRequest(),
    );
    // @pulumi/policy puts the policy's description on the first line, the reported text after it.
    const message = analyzed.getDiagnosticsList()[0].getMessage();
    const report = JSON.parse(message.slice(message.indexOf("\n") + 1)) as Started["report"];
    stream.cancel();
    let packExitedAfterCancel = false;
    for (let i = 0; i < 50 && !packExitedAfterCancel; i++) {
      await new Promise((r) => setTimeout(r, 100));
      packExitedAfterCancel = !alive(report.pid);
    }
    pack.close();
    runtime.close();
    return { info: infoRes.getName(), report, packExitedAfterCancel };
  } finally {
    plugin.kill("SIGINT");
    engine.close();
  }
}

/** What the real plugin (built from pulumi/pulumi at v3.259.0) gave the pack, and the stand-in must. */
function assertStartedAsTheRealPluginDoes(s: Started) {
  assert.equal(s.info, "start-pack");
  assert.equal(s.report.cwd, PACK, "the pack runs in its own folder");
  assert.deepEqual(s.report.env, {
    AKS_ACR_GUARD_START_FROM_ENGINE: "yes",
    PULUMI_CONFIG: JSON.stringify({ "payments:region": "westeurope" }),
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_NODEJS_ORGANIZATION: "contoso",
    PULUMI_NODEJS_PROJECT: "payments",
    PULUMI_NODEJS_STACK: "dev",
    PULUMI_NODEJS_TYPESCRIPT: "true",
  });
  assert.ok(s.packExitedAfterCancel, "the pack process ends when the engine cancels RunPlugin");
}

describe("the Node language plugin starts a policy pack (CLI 3.249 and later)", function () {
  this.timeout(60_000);

  const plugins: [string, string[] | undefined][] = [
    ["the stand-in", [process.execPath, "--import", "tsx", STAND_IN]],
    ["the real pulumi-language-nodejs (AKS_ACR_GUARD_LANGUAGE_NODEJS)", REAL ? [REAL] : undefined],
  ];
  for (const [name, command] of plugins) {
    const test = command ? it : it.skip;
    test(`${name}: in the pack's folder, with the engine's environment and the stack's configuration, ended on cancel`, async () => {
      assertStartedAsTheRealPluginDoes(await startThrough(command!));
    });
    test(`${name}: reads PulumiPolicy.yaml's runtime options (typescript off, a tsconfig)`, async () => {
      const s = await startThrough(command!, { typescript: false, tsconfig: "tsconfig.policy.json" });
      assert.equal(s.report.env.PULUMI_NODEJS_TYPESCRIPT, undefined);
      assert.equal(s.report.env.PULUMI_NODEJS_TSCONFIG_PATH, "tsconfig.policy.json");
    });
  }

  it("refuses runtime options of the wrong type, as the real plugin does", () => {
    assert.throws(() => runtimeOptions({ typescript: "yes" }), /typescript option must be a boolean/);
    assert.throws(() => runtimeOptions({ nodeargs: 3 }), /nodeargs option must be a string/);
    assert.deepEqual(runtimeOptions({ nodeargs: " --max-old-space-size=4096  --trace-warnings" }).nodeargs, [
      "--max-old-space-size=4096",
      "--trace-warnings",
    ]);
  });
});
