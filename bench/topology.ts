/**
 * Prints how buildTopology's time grows with the stack: it must stay linear, since every
 * AnalyzeStack of every preview in an organisation pays it.
 */
import { buildTopology, StackResource } from "../core/stack/topology";
import { toStackResource } from "../offline/resources";
import { syntheticStack } from "./synthetic";

function asStack(size: number): StackResource[] {
  return syntheticStack(size).map(toStackResource);
}

function best(rs: StackResource[]): number {
  let min = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    buildTopology(rs);
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return min;
}

const sizes = [1_000, 10_000, 100_000];
const times = sizes.map((n) => best(asStack(n)));
sizes.forEach((n, i) =>
  console.log(
    `buildTopology, ${n.toLocaleString("en").padStart(7)} resources: ${times[i].toFixed(2).padStart(8)} ms`,
  ),
);
console.log(
  `growth per 10x resources: ${(times[1] / times[0]).toFixed(1)}x, ${(times[2] / times[1]).toFixed(1)}x`,
);
