// The reproduction: a platform stack of many teams whose Deployments run on the default
// Kubernetes provider raised 41,637 mandatory findings at 1,000 resources, every cluster told it
// cannot pull from every other team's registry. Mandatory means certain, at any stack size.
import * as assert from "node:assert/strict";
import { platformStack } from "../../bench/synthetic";
import { managedCluster, registry } from "../fixtures/azure";
import { usePolicyPack } from "../harness";

describe("a platform stack, at 1,000 resources", () => {
  const { pack } = usePolicyPack();

  for (const providerPerCluster of [false, true]) {
    it(`raises no mandatory finding and no finding per cluster x registry (${providerPerCluster ? "a provider per cluster" : "default provider"})`, async () => {
      const stack = platformStack(1_000, providerPerCluster);
      const diags = await pack().analyzeAll(stack);
      assert.deepEqual(
        diags.filter((d) => d.enforcementLevel === "mandatory").map((d) => `${d.policyName}: ${d.message}`),
        [],
      );
      const clusters = stack.filter((r) => r.type.endsWith("ManagedCluster")).length;
      for (const [policy, n] of countBy(diags.map((d) => d.policyName)))
        assert.ok(n <= clusters * 2, `${policy}: ${n} findings for ${clusters} clusters`);
    });
  }

  it("tells a cluster with no workload and no assignment once, not once per registry", async () => {
    // GIVEN one such cluster among twenty registries
    const regs = Array.from({ length: 20 }, (_, i) => registry(`acrteam${i}`));
    const diags = await pack().analyzeAll([managedCluster("aks-new"), ...regs]);
    assert.deepEqual(
      diags
        .filter((d) => d.policyName.startsWith("aks-acr-pull-role"))
        .map((d) => [d.policyName, d.enforcementLevel]),
      [["aks-acr-pull-role-unverified", "advisory"]],
    );
  });
});

function countBy(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
