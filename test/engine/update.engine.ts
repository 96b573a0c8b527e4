/**
 * A pending change to a cluster under the real engine. azure-native previews an update as it
 * previews a create: every output that is not an input is unknown (`id`, `identityProfile`,
 * `identity.principalId`), only `name` and `location` kept. The pack must not take the cluster for a
 * new one: what the update does not change, the observer's record of the cluster shows.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadWorld, World } from "../../offline/world";
import {
  azureConfig,
  useEngineContext,
  engineStack,
  preview,
  REPO_ROOT,
  up,
  environment,
  programConfig,
  seedWorld,
  subscriptionOf,
} from "./engine";

/** The world with one tag added to its cluster: a change that touches no identity. */
function tagged(world: World): World {
  const resources = world.resources.map((r) =>
    r.type.toLowerCase() === "microsoft.containerservice/managedclusters"
      ? { ...r, tags: { ...((r.tags as Record<string, string> | undefined) ?? {}), costCenter: "4711" } }
      : r,
  );
  return { ...world, resources };
}

describe("a pending change to a cluster under the real engine", function () {
  this.timeout(300_000);
  const ctx = useEngineContext();

  it("still reports the missing pull role as mandatory while a tag change is pending", async () => {
    // GIVEN a stack that owns a cluster and a registry, with no AcrPull for the kubelet identity
    const world = loadWorld(path.join(REPO_ROOT, "scenarios", "kubelet-without-acrpull", "world.json"));
    const sub = subscriptionOf(world);
    seedWorld(ctx, world);
    let current = world;
    const stack = await engineStack(ctx, "update", () => environment(current, sub), {
      ...azureConfig(ctx, sub),
      ...programConfig(world),
    });
    const deployed = await up(ctx, stack);
    assert.ok(deployed.ok, deployed.error);
    // WHEN the program adds a tag to the cluster and is previewed with the pack
    current = tagged(world);
    const r = await preview(ctx, stack, { policyPack: true });
    // THEN the cluster is updated, not created, and the finding stays certain
    assert.equal(r.changes.update, 1, JSON.stringify(r.changes));
    assert.equal(r.changes.create, undefined, JSON.stringify(r.changes));
    const pull = r.findings.filter((f) => f.policy === "aks-acr-pull-role");
    assert.deepEqual(
      pull.map((f) => `${f.level} ${f.resource}`),
      ["mandatory aks-prod"],
      r.findings.map((f) => `${f.policy} ${f.level} ${f.resource}: ${f.message}`).join("\n"),
    );
    assert.match(pull[0].message, /401 Unauthorized/);
    assert.equal(r.ok, false);
  });
});
