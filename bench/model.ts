/**
 * What the pull-path model (core/path) costs against the checks it replaced: the pack as it was
 * before the model (BENCH_BASELINE, a git ref; default 459d9e0, the last commit before it) and the
 * pack of this tree, on the same requests in the same run (bench/measure interleaves them), with
 * the empty pack for scale. Shapes: the platform stack and landing zone of `npm run bench`, and
 * the demo's hub-and-spoke environment (private endpoint, zone, peerings: every hop of the path)
 * inside a platform stack. Figures, not a test; the target is printed as met or not.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";
import { POLICIES_DIR } from "../offline/analyzer";
import { PACKAGE_ROOT } from "../offline/package-root";
import { PolicyResourceInput } from "../offline/resources";
import { loadWorld, stackOf } from "../offline/world";
import { analyzeStackTimes, EMPTY, RUNS } from "./measure";
import { landingZone, platformStack } from "./synthetic";

const BASELINE = process.env.BENCH_BASELINE ?? "459d9e0";

/** The baseline's pack, built where @pulumi/policy resolves from this package's node_modules. */
async function baselinePack(): Promise<string> {
  const dir = path.join(PACKAGE_ROOT, "node_modules", ".cache", "aks-acr-guard-bench-baseline", BASELINE);
  const pack = path.join(dir, "policies");
  if (fs.existsSync(path.join(pack, "dist", "index.js"))) return pack;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["-C", PACKAGE_ROOT, "archive", BASELINE, "policies", "core"]);
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  await build({
    absWorkingDir: dir,
    entryPoints: ["policies/index.ts"],
    outfile: "policies/dist/index.js",
    bundle: true,
    platform: "node",
    format: "cjs",
    external: ["@pulumi/policy", "@pulumi/policy/*", "@pulumi/pulumi", "@pulumi/pulumi/*"],
    logLevel: "warning",
  });
  return pack;
}

const demo = stackOf(
  loadWorld(path.join(PACKAGE_ROOT, "scenarios", "broken-hub-spoke", "world.json")),
).resources;
const SHAPES: [string, (size: number) => PolicyResourceInput[]][] = [
  ["platform stack, a provider per cluster", (n) => platformStack(n, true)],
  ["landing zone", landingZone],
  ["hub-and-spoke demo inside a platform stack", (n) => [...demo, ...platformStack(n - demo.length, true)]],
];

async function main() {
  const baseline = await baselinePack();
  console.log(`the pull-path model against the checks of ${BASELINE}, ${RUNS} rounds, 10,000 resources:`);
  for (const [label, shape] of SHAPES) {
    const [now, before, empty] = await analyzeStackTimes(
      [POLICIES_DIR, baseline, EMPTY],
      10_000,
      RUNS,
      shape,
    );
    const ratio = now / before;
    console.log(`${label}:`);
    console.log(
      `  ${now.toFixed(0)} ms with the model, ${before.toFixed(0)} ms before it (empty pack ${empty.toFixed(0)} ms): ${ratio.toFixed(2)}x`,
    );
    console.log(
      `  ${ratio <= 1.1 ? "met    " : "NOT MET"} no more than before (within 10% noise): ${ratio.toFixed(2)}x`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
