/**
 * AnalyzeStack on the stack shapes where pull pairs cost most, against the empty pack, at 1,000
 * and 10,000 resources: the platform stack with a Kubernetes provider per cluster, the same on the
 * default provider (the pack cannot tell which cluster runs a workload), and a landing zone (four
 * clusters, thousands of role assignments). Each target printed as met or not met; figures, not a
 * test.
 */
import { PolicyPackClient, POLICIES_DIR } from "../offline/analyzer";
import { PolicyResourceInput } from "../offline/resources";
import { analyzeStackTimes, EMPTY, RUNS } from "./measure";
import { landingZone, platformStack } from "./synthetic";

const SHAPES: [string, (size: number) => PolicyResourceInput[]][] = [
  ["platform stack, a provider per cluster", (n) => platformStack(n, true)],
  ["platform stack, default provider", (n) => platformStack(n, false)],
  ["landing zone", landingZone],
];

/** The findings at 1,000 resources, by level: the false alarms a shape would raise. */
async function findings(shape: (size: number) => PolicyResourceInput[]): Promise<string> {
  const pack = await PolicyPackClient.start(POLICIES_DIR);
  try {
    await pack.configure();
    const diags = await pack.analyzeStack(shape(1_000));
    const count = (level: string) => diags.filter((d) => d.enforcementLevel === level).length;
    return `${count("mandatory")} mandatory, ${count("advisory")} advisory`;
  } finally {
    await pack.stop();
  }
}

async function main() {
  const check = (ok: boolean) => (ok ? "met    " : "NOT MET");
  for (const [label, shape] of SHAPES) {
    const [small, smallEmpty] = await analyzeStackTimes([POLICIES_DIR, EMPTY], 1_000, 3 * RUNS, shape);
    const [large, largeEmpty] = await analyzeStackTimes([POLICIES_DIR, EMPTY], 10_000, RUNS, shape);
    const ratio = large / largeEmpty;
    const growth = large / small;
    console.log(`${label}:`);
    console.log(`  findings at 1,000 resources: ${await findings(shape)}`);
    console.log(
      `  1,000 resources: ${small.toFixed(0)} ms (empty pack ${smallEmpty.toFixed(0)} ms, ${(small / smallEmpty).toFixed(2)}x)`,
    );
    console.log(
      `  10,000 resources: ${large.toFixed(0)} ms (empty pack ${largeEmpty.toFixed(0)} ms, ${ratio.toFixed(2)}x)`,
    );
    console.log(
      `  ${check(ratio <= 1.5)} at most 1.5x the empty pack at 10,000 resources: ${ratio.toFixed(2)}x`,
    );
    console.log(`  ${check(growth <= 12)} growth 1,000 -> 10,000 at most 12x: ${growth.toFixed(1)}x`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
