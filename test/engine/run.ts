/**
 * `npm run test:engine`: the engine suite's setup, then mocha over `test/engine/*.engine.ts`.
 *
 * 1. The Pulumi CLI: `AKS_ACR_GUARD_PULUMI` (a folder with `bin/pulumi`), else a `pulumi` 3.248.x on
 *    PATH, else the one built from `test/engine/cli` (the Go module of the engine our
 *    `@pulumi/pulumi ~3.248.0` belongs to) into `~/.cache/aks-acr-guard/pulumi-v3.248.0`, built once
 *    per machine (about 2 minutes with a warm Go module cache, 5 cold).
 * 2. The plugins the engine starts from PATH: the emulated `pulumi-resource-azure-native` and
 *    `pulumi-resource-kubernetes` (bundled to JavaScript once per run) and
 *    `pulumi-analyzer-policy-nodejs`, which starts a Node policy pack as CLI 3.248 does without a
 *    Node language plugin: `@pulumi/pulumi/cmd/run-policy-pack`, resolved from the pack's folder.
 * 3. A TLS certificate for the fake Azure on 127.0.0.1, trusted through NODE_EXTRA_CA_CERTS by the
 *    test process (which runs the programs inline) and every plugin.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "esbuild";

const REPO = path.resolve(__dirname, "..", "..");
const VERSION = "3.248.0";
const log = (s: string) => process.stderr.write(`engine suite: ${s}\n`);

function pulumiOnPath(): string | undefined {
  const found = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (found.status !== 0) return undefined;
  const v = found.stdout.trim();
  // CLI 3.249+ wants a Node language plugin to start a policy pack; stay on the engine we depend on.
  if (!/^v3\.248\.\d+$/.test(v)) {
    log(`pulumi ${v} on PATH is not 3.248.x; using the CLI built from test/engine/cli`);
    return undefined;
  }
  const bin = execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  return path.dirname(path.dirname(fs.realpathSync(bin)));
}

function builtPulumi(): string {
  const root = path.join(os.homedir(), ".cache", "aks-acr-guard", `pulumi-v${VERSION}`);
  const bin = path.join(root, "bin", "pulumi");
  if (fs.existsSync(bin)) return root;
  log(`building the Pulumi CLI v${VERSION} from test/engine/cli into ${root} (2-5 minutes, once)`);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const tmp = `${bin}.partial`;
  const go = spawnSync(
    "go",
    [
      "build",
      "-ldflags",
      `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${VERSION}`,
      "-o",
      tmp,
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ],
    { cwd: path.join(__dirname, "cli"), stdio: "inherit" },
  );
  if (go.status !== 0) throw new Error(`go build of the Pulumi CLI failed (exit ${go.status})`);
  fs.renameSync(tmp, bin);
  return root;
}

async function plugins(dir: string): Promise<string> {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const name of ["azure-native", "kubernetes"]) {
    const out = path.join(dir, "providers", `${name}.js`);
    await build({
      entryPoints: [path.join(__dirname, "providers", `${name}.ts`)],
      outfile: out,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      // Resolved from the repository's node_modules: the output sits under it.
      external: ["@grpc/grpc-js", "google-protobuf", "@pulumi/pulumi", "@pulumi/pulumi/*"],
      logLevel: "warning",
    });
    fs.writeFileSync(path.join(bin, `pulumi-resource-${name}`), `#!/bin/sh\nexec node "${out}" "$@"\n`, {
      mode: 0o755,
    });
  }
  fs.writeFileSync(
    path.join(bin, "pulumi-analyzer-policy-nodejs"),
    [
      "#!/bin/sh",
      "# Started by the engine in the policy pack's folder with the engine's address and '.'.",
      `runner="$(node -p "require('path').join(require('path').dirname(require.resolve('@pulumi/pulumi/package.json')), 'cmd', 'run-policy-pack')")" || exit 1`,
      'exec node "$runner" "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return bin;
}

function certificate(dir: string): { key: string; cert: string } {
  const key = path.join(dir, "tls.key");
  const cert = path.join(dir, "tls.crt");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}

async function main() {
  const pulumiRoot = process.env.AKS_ACR_GUARD_PULUMI ?? pulumiOnPath() ?? builtPulumi();
  const work = path.join(REPO, "node_modules", ".cache", "aks-acr-guard-engine");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const bin = await plugins(work);
  const tls = certificate(work);
  const env = {
    ...process.env,
    PATH: [bin, path.join(pulumiRoot, "bin"), process.env.PATH].join(path.delimiter),
    AKS_ACR_GUARD_PULUMI_ROOT: pulumiRoot,
    AKS_ACR_GUARD_ENGINE_TLS_KEY: tls.key,
    AKS_ACR_GUARD_ENGINE_TLS_CERT: tls.cert,
    NODE_EXTRA_CA_CERTS: tls.cert,
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "1",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "1",
  };
  const mocha = spawnSync(
    process.execPath,
    [
      require.resolve("mocha/bin/mocha.js"),
      "--config",
      path.join(__dirname, ".mocharc.json"),
      ...process.argv.slice(2),
    ],
    { cwd: REPO, env, stdio: "inherit" },
  );
  process.exit(mocha.status ?? 1);
}

main().catch((e: Error) => {
  log(e.message);
  process.exit(1);
});
