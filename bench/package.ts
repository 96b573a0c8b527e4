/**
 * The package as a user installs it (test/engine/user-project.ts: packed, installed from the
 * tarball into a project outside the repository), in figures: the tarball and installed sizes, the
 * command's start to its first output and to its report on the bundled demo, and requiring the
 * components against requiring bare @pulumi/pulumi. Medians of several runs; figures, not a test.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { packAndInstall } from "../test/engine/user-project";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function sizeOf(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((sum, f) => sum + sizeOf(path.join(p, f)), 0);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Milliseconds from spawn to the first byte on stdout or stderr, and to exit. */
function timed(cwd: string, args: string[]): Promise<{ first: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let first: number | undefined;
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const seen = () => (first ??= ms());
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("error", reject);
    child.on("exit", () => resolve({ first: first ?? ms(), exit: ms() }));
  });
}

async function main() {
  const t0 = Date.now();
  const project = packAndInstall();
  const installSeconds = (Date.now() - t0) / 1000;
  try {
    const dir = project.dir;
    const own = path.join(dir, "node_modules", "aks-acr-guard");
    const bin = path.join(own, "bin", "aks-acr-guard.js");
    const demo = path.join(own, "scenarios", "broken-hub-spoke", "world.json");
    const runs = async (args: string[]) => {
      const got = [];
      for (let i = 0; i < RUNS; i++) got.push(await timed(dir, args));
      return { first: median(got.map((g) => g.first)), exit: median(got.map((g) => g.exit)) };
    };
    const version = await runs([bin, "--version"]);
    const diagnose = await runs([bin, "diagnose", demo]);
    const preview = await runs([bin, "preview", demo]);
    const requireComponents = await runs(["-e", 'require("aks-acr-guard")']);
    const requirePulumi = await runs(["-e", 'require("@pulumi/pulumi")']);
    const node = await runs(["-e", "0"]);
    const du = spawnSync("du", ["-sk", path.join(dir, "node_modules")], { encoding: "utf8" });
    const rows: [string, string][] = [
      ["tarball", mb(fs.statSync(project.tarball).size)],
      ["installed: node_modules/aks-acr-guard", mb(sizeOf(own))],
      [
        "installed: the project's node_modules (with the peers)",
        `${(Number(du.stdout.split("\t")[0]) / 1024).toFixed(0)} MB`,
      ],
      ["npm install of the tarball and peers (npm's cache warm)", `${installSeconds.toFixed(0)} s`],
      ["aks-acr-guard --version, to exit", `${version.exit.toFixed(0)} ms`],
      ["aks-acr-guard diagnose <demo>, to first output", `${diagnose.first.toFixed(0)} ms`],
      ["aks-acr-guard diagnose <demo>, to exit", `${diagnose.exit.toFixed(0)} ms`],
      ["aks-acr-guard preview <demo>, to exit", `${preview.exit.toFixed(0)} ms`],
      ["node -e 'require(\"aks-acr-guard\")'", `${requireComponents.exit.toFixed(0)} ms`],
      ["node -e 'require(\"@pulumi/pulumi\")'", `${requirePulumi.exit.toFixed(0)} ms`],
      [
        "requiring the components against bare @pulumi/pulumi (node's own start taken off)",
        `${((requireComponents.exit - node.exit) / (requirePulumi.exit - node.exit)).toFixed(2)}x`,
      ],
      ["node -e 0", `${node.exit.toFixed(0)} ms`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`the installed package, medians of ${RUNS} runs\n`);
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  } finally {
    project.close();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
