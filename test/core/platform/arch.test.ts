// CPU architectures (core/platform/arch.ts): what a workload pins, what an image offers, and the
// Linux pools of a cluster by architecture. VM sizes are tabled in test/policies/architecture-and-qps.test.ts.
import * as assert from "node:assert/strict";
import { archPin, clusterArches, offersArch, platformsOf } from "../../../core/platform/arch";
import { scenarioPull } from "../path/scenario";

describe("archPin: the architectures a pod spec pins through kubernetes.io/arch", () => {
  it("a nodeSelector pins one", () => {
    assert.deepEqual(archPin({ nodeSelector: { "kubernetes.io/arch": "arm64" } }), {
      arches: ["arm64"],
      via: 'nodeSelector["kubernetes.io/arch"]',
    });
  });
  it("no pin: undefined", () =>
    assert.equal(archPin({ nodeSelector: { "kubernetes.io/os": "linux" } }), undefined));
});

describe("offersArch: an image's platforms include Linux on the architecture", () => {
  const cases: [string[], "amd64" | "arm64", boolean][] = [
    [["linux/amd64"], "amd64", true],
    [["linux/amd64"], "arm64", false],
    [["linux/arm64/v8"], "arm64", true],
    [["windows/amd64"], "amd64", false],
    [[], "amd64", false],
  ];
  for (const [platforms, arch, offers] of cases)
    it(`[${platforms.join(", ")}] ${offers ? "offers" : "does not offer"} ${arch}`, () =>
      assert.equal(offersArch(platforms, arch), offers));
});

describe("clusterArches and platformsOf, over a recording", () => {
  it("an amd64 system pool and an arm64 pool: one entry per architecture, named", () => {
    const { topo, pair } = scenarioPull("image-architecture-mismatch");
    const arches = clusterArches(topo, pair.cluster);
    assert.ok(arches instanceof Map);
    assert.deepEqual([...arches.values()].map((p) => `${p.arch} ${p.pool} ${p.vmSize}`).sort(), [
      "amd64 system Standard_D4ds_v5",
      "arm64 arm Standard_D4ps_v5",
    ]);
  });
  it("finds an image's recorded platforms by tag, and nothing for an image never read", () => {
    const { topo } = scenarioPull("image-architecture-mismatch");
    const recorded = topo.byKind.get("imagePlatforms")?.[0];
    assert.ok(recorded, "the scenario records the platforms of its image");
    const image = String(recorded.props.image);
    assert.deepEqual(platformsOf(topo, image)?.platforms, ["linux/amd64"]);
    assert.equal(platformsOf(topo, "contosoacr.azurecr.io/never/read:1.0"), undefined);
  });
});
