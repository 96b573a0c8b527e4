/** What the bench scripts share: the packs compared, medians, and AnalyzeStack timing. */
import * as path from "node:path";
import { PolicyPackClient, stackRequest } from "../offline/analyzer";
import { PolicyResourceInput } from "../offline/resources";
import { syntheticStack } from "./synthetic";

/** An @pulumi/policy pack with no policy, and one with a single stack policy that does nothing. */
export const EMPTY = path.join(__dirname, "empty-pack");
export const NOOP_STACK = path.join(__dirname, "noop-stack-pack");
export const RUNS = Number(process.env.BENCH_RUNS ?? 7);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * AnalyzeStack times of several packs on one request: each pack started and warmed up, then one
 * request to each in turn per round, so all of them see the same machine state; medians.
 */
export async function analyzeStackTimes(
  dirs: string[],
  size: number,
  rounds: number,
  shape: (size: number) => PolicyResourceInput[] = syntheticStack,
): Promise<number[]> {
  const request = stackRequest(shape(size));
  const packs = await Promise.all(dirs.map((d) => PolicyPackClient.start(d)));
  const times: number[][] = dirs.map(() => []);
  try {
    for (const h of packs) {
      await h.configure();
      for (let i = 0; i < 2; i++) await h.send(request); // warm-up
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, h] of packs.entries()) {
        const t0 = process.hrtime.bigint();
        await h.send(request);
        times[i].push(ms(t0));
      }
    }
  } finally {
    await Promise.all(packs.map((h) => h.stop()));
  }
  return times.map(median);
}
