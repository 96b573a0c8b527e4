// Mandatory means certain: the network checks judge the pull pairs the stack shows for certain, and
// leave the pairs it can only guess to their advisory `-unverified` halves, once per cluster.
import * as assert from "node:assert/strict";
import { managedCluster, prop, publicIp, registry, registryPrivateEndpoint } from "../fixtures/azure";
import { privateLinkStack } from "../fixtures/network";
import { urnOf } from "../../offline/resources";
import { assertNoMandatory, assertSilent, assertViolation, usePolicyPack } from "../harness";

describe("guessed pull pairs and the -unverified halves", () => {
  const { run } = usePolicyPack();

  // GIVEN the hub-and-spoke stack, healthy for aks-prod, without the AcrPull assignment that ties
  // aks-prod to the registry, and a second cluster in a VNet with no peering and no zone link: two
  // clusters, one registry, nothing to say which cluster pulls from it.
  const { all, pull, acr, pe, zone, hubLink, spokeLink, zoneGroup } = privateLinkStack();
  const batch = managedCluster("aks-batch");
  const guessed = [...all.filter((r) => r !== pull), batch];
  // The same two clusters and a registry reached over the public path only, whose IP rules refuse
  // aks-batch's egress IP (aks-prod's is not shown): there the refusal is the finding (with a private
  // endpoint beside it, it belongs to the unlinked zone's or the missing peering's finding).
  const publicOnly = [
    ...guessed.filter((r) => ![acr, pe, zone, hubLink, spokeLink, zoneGroup].includes(r)),
    registry("contosoacr", { networkRules: { defaultAction: "Deny", ipRules: ["40.0.0.0/8"] } }),
    publicIp("kubernetes-egress", "20.50.3.7", prop(batch, "nodeResourceGroup")),
  ];

  // The first failing hop says what the pods print now; a later one, what they print once it is fixed.
  for (const [policy, symptom, stack, when] of [
    ["acr-private-dns-link", "403 Forbidden", guessed, "fail with"],
    [
      "aks-acr-vnet-peering",
      "i/o timeout",
      guessed,
      "still fail, once acr-private-dns-link's finding is fixed, with",
    ],
    ["acr-firewall-aks-egress", "403 Forbidden", publicOnly, "fail with"],
  ] as const) {
    describe(policy, () => {
      it("says nothing mandatory about a guessed pair", async () => {
        assertNoMandatory(await run(policy, stack));
      });

      it("the -unverified half reports the guessed cluster once, conditionally, naming what makes it certain", async () => {
        const d = assertViolation(
          await run(`${policy}-unverified`, stack),
          "advisory",
          batch,
          "Pods on cluster 'aks-batch' fail to pull if it pulls from 'contosoacr'",
          "so this is not certain",
          `would ${when}`,
          symptom,
          `the \`pulls\` config of ${policy}`,
        );
        assert.ok(!d.message.includes("will fail"), d.message);
      });

      it("judges the pair for certain, and mandatory, once config names it", async () => {
        const pulls = [{ cluster: "aks-batch", registry: "contosoacr" }];
        assertViolation(await run(policy, stack, { pulls }), "mandatory", batch, `will ${when}`, symptom);
        await run(`${policy}-unverified`, stack, { pulls }).then(assertSilent);
      });
    });
  }

  it("reports a cluster once, whatever the number of registries it may pull from", async () => {
    // GIVEN two more registries, public access disabled, their endpoints in the hub beside the first
    const more = ["fabrikamacr", "tailspinacr"].flatMap((name) => {
      const r = registry(name, { publicNetworkAccess: "Disabled" });
      return [r, registryPrivateEndpoint(`pe-${name}`, r)];
    });
    const diags = await run("aks-acr-vnet-peering-unverified", [...guessed, ...more]);
    assert.deepEqual(
      diags.map((d) => d.urn),
      [urnOf(batch)],
      "one finding, on the cluster with no peering; none on aks-prod, whose network is sound",
    );
    for (const name of ["contosoacr", "fabrikamacr", "tailspinacr"])
      assert.ok(diags[0].message.includes(`'${name}'`));
  });
});
