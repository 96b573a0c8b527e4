/** AksAcrObserver under mocks: what it registers, and that it declares nothing. */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadWorld } from "../../offline/world";
import { worldReader } from "../../offline/world-reader";
import { REPO_ROOT } from "../harness";
import { usePulumiMocks, valueOf } from "../harness/mocks";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));

describe("AksAcrObserver", () => {
  const mocks = usePulumiMocks();

  it("the observer registers what it saw as its `observed` output, and the policies read it: drift the stack does not own", async () => {
    const world = scenario("kubelet-identity-off-vmss");
    const { AksAcrObserver } = await import("../../components/aks-acr-observer");
    const observer = new AksAcrObserver("obs", {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
      reader: worldReader(world.resources),
    });
    const observed = await valueOf(observer.observed);
    assert.ok(observed.some((r) => r.type.toLowerCase() === "microsoft.compute/virtualmachinescalesets"));
    assert.deepEqual(
      mocks.resources.map((r) => r.type),
      ["aks-acr-guard:index:AksAcrObserver"],
      "it declares nothing",
    );
  });
});
