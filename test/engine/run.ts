/**
 * `npm run test:engine`: the engine suite's setup, then mocha over `test/engine/*.engine.ts`.
 *
 * 1. The Pulumi CLI, chosen by `AKS_ACR_GUARD_ENGINE_CLI`: `lowest` (the default; the engine of the
 *    lowest `@pulumi/pulumi` the package supports, `test/engine/cli/lowest`) or `newest` (the newest
 *    `github.com/pulumi/pulumi/pkg/v3` the Go module proxy served when it was last raised,
 *    `test/engine/cli/newest`). `AKS_ACR_GUARD_PULUMI` (a folder with `bin/pulumi`) overrides
 *    both; else a `pulumi` of that exact version on PATH; else the CLI built from the Go module into
 *    `~/.cache/aks-acr-guard/pulumi-v<version>`, once per machine (about 2 minutes with a warm Go
 *    module cache, 5 cold).
 * 2. The plugins the engine starts from PATH: the emulated `pulumi-resource-azure-native` and
 *    `pulumi-resource-kubernetes` (bundled to JavaScript once per run), and what starts the Node
 *    policy pack. CLI 3.248 has no Node language plugin and runs `pulumi-analyzer-policy-nodejs`
 *    (`@pulumi/pulumi/cmd/run-policy-pack`, resolved from the pack's folder). CLI 3.249 and later
 *    start the pack through `pulumi-language-nodejs`, as every released CLI ships it: the real one
 *    where `AKS_ACR_GUARD_LANGUAGE_NODEJS` names a built binary, else the stand-in
 *    `test/engine/language-nodejs.ts` (its Go module is not on the proxy; see that file). The
 *    fallback script is then left off PATH, so a pack the CLI cannot start that way fails the suite.
 * 3. A TLS certificate for the fake Azure on 127.0.0.1, trusted through NODE_EXTRA_CA_CERTS by the
 *    test process (which runs the programs inline) and every plugin.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "esbuild";

const REPO = path.resolve(__dirname, "..", "..");
const log = (s: string) => process.stderr.write(`engine suite: ${s}\n`);

export type CliChoice = "lowest" | "newest";

/** The CLI version a choice pins: the `github.com/pulumi/pulumi/pkg/v3` its Go module requires. */
export function cliVersion(choice: CliChoice): string {
  const mod = fs.readFileSync(path.join(__dirname, "cli", choice, "go.mod"), "utf8");
  const m = /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\d+\.\d+\.\d+)/.exec(mod);
  if (!m) throw new Error(`test/engine/cli/${choice}/go.mod requires no github.com/pulumi/pulumi/pkg/v3`);
  return m[1];
}

function pulumiOnPath(version: string): string | undefined {
  const found = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  if (found.status !== 0) return undefined;
  const v = found.stdout.trim();
  if (v !== `v${version}`) {
    log(`pulumi ${v} on PATH is not v${version}; using the CLI built from its Go module`);
    return undefined;
  }
  const bin = execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  return path.dirname(path.dirname(fs.realpathSync(bin)));
}

function builtPulumi(choice: CliChoice, version: string): string {
  const root = path.join(os.homedir(), ".cache", "aks-acr-guard", `pulumi-v${version}`);
  const bin = path.join(root, "bin", "pulumi");
  if (fs.existsSync(bin)) return root;
  log(`building the Pulumi CLI v${version} from test/engine/cli/${choice} into ${root} (2-5 minutes, once)`);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const tmp = `${bin}.partial`;
  const go = spawnSync(
    "go",
    [
      "build",
      "-ldflags",
      `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`,
      "-o",
      tmp,
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ],
    { cwd: path.join(__dirname, "cli", choice), stdio: "inherit" },
  );
  if (go.status !== 0) throw new Error(`go build of the Pulumi CLI failed (exit ${go.status})`);
  fs.renameSync(tmp, bin);
  return root;
}

/** What starts the Node policy pack for this CLI. */
type PackStarter = { kind: "analyzer-script" } | { kind: "language-plugin"; real?: string };

async function plugins(dir: string, starter: PackStarter): Promise<string> {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const bundled = async (entry: string, out: string) =>
    build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      // Resolved from the repository's node_modules: the output sits under it.
      external: ["@grpc/grpc-js", "google-protobuf", "@pulumi/pulumi", "@pulumi/pulumi/*"],
      logLevel: "warning",
    });
  const script = (name: string, lines: string[]) =>
    fs.writeFileSync(path.join(bin, name), ["#!/bin/sh", ...lines, ""].join("\n"), { mode: 0o755 });
  for (const name of ["azure-native", "kubernetes"]) {
    const out = path.join(dir, "providers", `${name}.js`);
    await bundled(path.join(__dirname, "providers", `${name}.ts`), out);
    script(`pulumi-resource-${name}`, [`exec node "${out}" "$@"`]);
  }
  if (starter.kind === "language-plugin") {
    if (starter.real) {
      fs.symlinkSync(starter.real, path.join(bin, "pulumi-language-nodejs"));
    } else {
      const out = path.join(dir, "language", "language-nodejs.js");
      await bundled(path.join(__dirname, "language-nodejs.ts"), out);
      script("pulumi-language-nodejs", [`exec node "${out}" "$@"`]);
    }
    return bin;
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

function choice(): CliChoice {
  const c = process.env.AKS_ACR_GUARD_ENGINE_CLI ?? "lowest";
  if (c !== "lowest" && c !== "newest")
    throw new Error(`AKS_ACR_GUARD_ENGINE_CLI is "${c}"; expected lowest or newest`);
  return c;
}

/** CLI 3.249 and later start a Node pack through the Node language plugin; 3.248 through the script. */
function starterFor(version: string): PackStarter {
  const [major, minor] = version.split(".").map(Number);
  if (major === 3 && minor < 249) return { kind: "analyzer-script" };
  const real = process.env.AKS_ACR_GUARD_LANGUAGE_NODEJS;
  if (real && !fs.existsSync(real))
    throw new Error(`AKS_ACR_GUARD_LANGUAGE_NODEJS is ${real}, which does not exist`);
  return { kind: "language-plugin", real };
}

async function main() {
  const cli = choice();
  const version = cliVersion(cli);
  const pulumiRoot = process.env.AKS_ACR_GUARD_PULUMI ?? pulumiOnPath(version) ?? builtPulumi(cli, version);
  const reported = execFileSync(path.join(pulumiRoot, "bin", "pulumi"), ["version"], {
    encoding: "utf8",
  }).trim();
  const starter = starterFor(reported.replace(/^v/, ""));
  log(
    `pulumi ${reported}; the pack starts through ${
      starter.kind === "analyzer-script"
        ? "pulumi-analyzer-policy-nodejs"
        : `pulumi-language-nodejs (${starter.real ? `the real plugin, ${starter.real}` : "the stand-in"})`
    }`,
  );
  const work = path.join(REPO, "node_modules", ".cache", "aks-acr-guard-engine");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const bin = await plugins(work, starter);
  const tls = certificate(work);
  const env = {
    ...process.env,
    PATH: [bin, path.join(pulumiRoot, "bin"), process.env.PATH].join(path.delimiter),
    AKS_ACR_GUARD_PULUMI_ROOT: pulumiRoot,
    AKS_ACR_GUARD_PULUMI_VERSION: reported,
    AKS_ACR_GUARD_PACK_STARTER:
      starter.kind === "analyzer-script"
        ? "analyzer-script"
        : starter.real
          ? "real-language-plugin"
          : "stand-in-language-plugin",
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
