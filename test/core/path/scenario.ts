/**
 * A scenario's pull as the path's judges see it: the recorded world read as the stack the offline
 * preview builds from it, its topology, and the pull pair of its cluster and registry.
 */
import * as path from "node:path";
import { HopVerdict } from "../../../core/path/hop";
import { PullPair, pullPairs } from "../../../core/stack/pull-pairs";
import { buildTopology, Topology } from "../../../core/stack/topology";
import { toStackResource } from "../../../offline/resources";
import { loadWorld, stackOf, World } from "../../../offline/world";
import { REPO_ROOT } from "../../harness";

/** `edit` changes the recording's ARM records first (a rule added, a state changed), as Azure would show them. */
export function scenarioPull(
  name: string,
  edit?: (resources: World["resources"]) => void,
): { world: World; topo: Topology; pair: PullPair } {
  const world = loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
  edit?.(world.resources);
  const topo = buildTopology(stackOf(world).resources.map(toStackResource));
  const [pair] = pullPairs(topo);
  if (!pair) throw new Error(`scenario ${name}: no cluster pulls from a registry`);
  return { world, topo, pair };
}

export type Outcome = "pass" | "fail" | "unsure" | "pending";

/** A hop's verdict in one word: fails by what is shown, fails unless what is not shown saves it, waits on preview, passes. */
export function outcomeOf(v: HopVerdict): Outcome {
  if (v.fails.length > 0) return "fail";
  if (v.unsure?.length) return "unsure";
  return v.pending ? "pending" : "pass";
}

/** The wording of a hop that is the first to fail ("will fail"), as the walk gives it. */
export const WILL = "will fail";

/** The recorded resource of an ARM type (case-insensitive), for `edit`. */
export function recordOf(resources: World["resources"], type: string): World["resources"][number] {
  const r = resources.find((x) => x.type.toLowerCase() === type.toLowerCase());
  if (!r) throw new Error(`no ${type} recorded`);
  return r;
}
