/**
 * Prints, side by side, the pack's start time (spawn to a GetAnalyzerInfo answer) against an empty
 * @pulumi/policy pack on the same node_modules, and AnalyzeStack on synthetic stacks of 1,000 and
 * 10,000 resources against the same empty pack, the growth between them, and the wall time of
 * `npm run demo`. Medians of several runs; figures against issue 6's targets, not a pass/fail.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { PolicyPackClient, POLICIES_DIR } from "../offline/analyzer";
import { analyzeStackTimes, EMPTY, median, ms, NOOP_STACK, RUNS } from "./measure";

const ROOT = path.join(__dirname, "..");
const DEMO_WORLD = path.join("scenarios", "broken-hub-spoke", "world.json");

async function startTime(dir: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const h = await PolicyPackClient.start(dir);
  await h.info();
  const t = ms(t0);
  await h.stop();
  return t;
}

async function main() {
  const ours: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate so both see the same machine state.
    empty.push(await startTime(EMPTY));
    ours.push(await startTime(POLICIES_DIR));
  }
  const row = (label: string, a: number, b: number, c?: number) =>
    console.log(
      `${label.padEnd(46)} ${a.toFixed(0).padStart(8)} ms ${b.toFixed(0).padStart(10)} ms ${(a / b).toFixed(2).padStart(7)}x` +
        (c === undefined ? "" : ` ${c.toFixed(0).padStart(12)} ms`),
    );
  console.log(
    `${"".padEnd(46)} ${"aks-acr-guard".padStart(11)} ${"empty pack".padStart(13)} ${"ratio".padStart(8)} ${"one no-op stack policy".padStart(24)}`,
  );
  row(`start to GetAnalyzerInfo (median of ${RUNS})`, median(ours), median(empty));
  const sizes = [1_000, 10_000];
  const results: number[] = [];
  const emptyResults: number[] = [];
  for (const size of sizes) {
    // A 1,000-resource request takes a tenth of the time: three times the rounds for as steady a median.
    const rounds = size < 5_000 ? 3 * RUNS : RUNS;
    const [a, b, c] = await analyzeStackTimes([POLICIES_DIR, EMPTY, NOOP_STACK], size, rounds);
    results.push(a);
    emptyResults.push(b);
    row(`AnalyzeStack, ${size.toLocaleString("en")} resources (median of ${rounds})`, a, b, c);
  }
  const growth = results[1] / results[0];
  const emptyGrowth = emptyResults[1] / emptyResults[0];
  console.log(
    `growth 1,000 -> 10,000 resources: ${growth.toFixed(1)}x (the empty pack's, decoding the request alone: ${emptyGrowth.toFixed(1)}x)`,
  );
  const demo: number[] = [];
  for (let i = 0; i < 3; i++) demo.push(await demoTime());
  console.log(
    `npm run demo (preview of scenarios/broken-hub-spoke), wall time, median of 3: ${(median(demo) / 1000).toFixed(2)} s`,
  );
  console.log("");
  console.log("targets (issue 6):");
  const check = (label: string, ok: boolean, figure: string) =>
    console.log(`  ${ok ? "met    " : "NOT MET"} ${label}: ${figure}`);
  check(
    "start <= 1.3x the empty pack",
    median(ours) / median(empty) <= 1.3,
    `${(median(ours) / median(empty)).toFixed(2)}x`,
  );
  check(
    "AnalyzeStack at 10,000 resources <= 1.5x the empty pack",
    results[1] / emptyResults[1] <= 1.5,
    `${(results[1] / emptyResults[1]).toFixed(2)}x`,
  );
  check("growth 1,000 -> 10,000 <= 12x", growth <= 12, `${growth.toFixed(1)}x`);
  check("demo < 5 s", median(demo) < 5000, `${(median(demo) / 1000).toFixed(2)} s`);
}

function demoTime(): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "bin", "aks-acr-guard.js"), "preview", DEMO_WORLD],
      {
        cwd: ROOT,
        stdio: "ignore",
      },
    );
    child.on("exit", (code) =>
      code === 0 ? resolve(ms(t0)) : reject(new Error(`demo exited with ${code}`)),
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
