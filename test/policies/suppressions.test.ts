// Every policy's `suppressions` config, through the analyzer protocol: a resource policy and a stack policy.
import * as assert from "node:assert/strict";
import { idOf, kubeletPull, managedCluster, registry } from "../fixtures/azure";
import { assertSilent, urnOf, usePolicyPack } from "../harness";

describe("suppressions in policy config", () => {
  const { pack, run } = usePolicyPack();
  const acr = registry("contosoacr", { adminUserEnabled: true });
  const aks = managedCluster("aks-prod");
  const later = "2999-12-31";
  const suppress = (resource: string, expires = later) => ({
    suppressions: [{ resource, reason: "legacy CI pulls with the admin user", expires }],
  });

  it("every policy takes suppressions in its config schema", async () => {
    for (const p of (await pack().info()).policies)
      assert.ok(p.configSchema?.properties.suppressions, `${p.name} has no suppressions config`);
  });

  // Analyze sends a resource's inputs, which hold no id: a resource policy's finding is named by URN or name.
  it("a resource policy reports nothing on a suppressed resource, named by URN or name", async () => {
    for (const resource of [urnOf(acr), "contosoacr"])
      assertSilent(await run("acr-admin-user-disabled", [acr], suppress(resource)));
  });

  it("a suppression of another resource hides nothing", async () => {
    const diags = await run("acr-admin-user-disabled", [acr], suppress("otheracr"));
    assert.equal(diags.length, 1);
    assert.doesNotMatch(diags[0].message, /suppression/);
  });

  it("an expired suppression hides nothing, and the finding says it expired", async () => {
    const diags = await run("acr-admin-user-disabled", [acr], suppress("contosoacr", "2020-01-31"));
    assert.equal(diags.length, 1);
    assert.match(diags[0].message, /adminUserEnabled: true/);
    assert.match(
      diags[0].message,
      /Its suppression \("legacy CI pulls with the admin user"\) expired on 2020-01-31/,
    );
  });

  it("a stack policy reports nothing on the suppressed cluster, and still on the others", async () => {
    const other = managedCluster("aks-dev");
    // aks-prod holds AcrPull; aks-dev, which pulls too, holds none.
    const resources = [acr, aks, other, kubeletPull(aks, acr)];
    const pulls = [
      { cluster: "aks-prod", registry: "contosoacr" },
      { cluster: "aks-dev", registry: "contosoacr" },
    ];
    const before = await run("aks-acr-pull-role", resources, { pulls });
    assert.deepEqual(
      before.map((d) => [d.urn, d.enforcementLevel]),
      [[urnOf(other), "mandatory"]],
      "aks-dev holds no pull role",
    );
    // A stack policy's resources carry their outputs: the ARM id names them too, in any casing.
    for (const resource of ["aks-dev", idOf(other).toUpperCase()])
      assertSilent(await run("aks-acr-pull-role", resources, { pulls, ...suppress(resource) }));
    assert.equal((await run("aks-acr-pull-role", resources, { pulls, ...suppress("aks-prod") })).length, 1);
  });

  it("a suppression without a reason or a date is refused, as the CLI refuses it", async () => {
    await assert.rejects(
      pack().configure({
        "acr-admin-user-disabled": { suppressions: [{ resource: "contosoacr", reason: "x" }] },
      }),
      /expires/,
    );
  });
});
