// The kubelet's credentials (core/path/identity.ts): its identity on every node pool scale set, and a
// service-principal cluster's secret not expired.
import * as assert from "node:assert/strict";
import { kubeletOnScaleSets, spSecretValid } from "../../../core/path/identity";
import { scenarioPull } from "./scenario";

const KUBELET_401 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"';

describe("kubeletOnScaleSets: every node pool scale set carries the kubelet identity", () => {
  it("passes where each scale set carries it", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    const hop = kubeletOnScaleSets(topo, pair.cluster)!;
    assert.deepEqual(hop.fails, []);
    assert.equal(hop.detail, "every node pool scale set shown carries the kubelet identity");
  });
  it("fails a scale set without it (401), naming the scale set, fixed by az aks update", () => {
    const { topo, pair } = scenarioPull("kubelet-identity-off-vmss");
    const hop = kubeletOnScaleSets(topo, pair.cluster)!;
    assert.equal(hop.fails.length, 1);
    assert.equal(hop.symptom, KUBELET_401);
    assert.match(hop.fails[0], /scale set 'aks-system-31415926-vmss' .* does not carry the kubelet identity/);
    assert.deepEqual(hop.commands, ["az aks update -g rg-aks -n aks-prod"]);
  });
});

describe("spSecretValid: a service-principal cluster's secret has not ended", () => {
  // sp-secret-expiring's only credential ends at 2036-06-01T00:00:00Z.
  const END = Date.parse("2036-06-01T00:00:00Z");
  const cases: [string, number, "valid" | "expired"][] = [
    ["valid long before its end", Date.parse("2026-12-05T00:00:00Z"), "valid"],
    ["valid a second before its end", END - 1000, "valid"],
    ["expired at its end (Entra refuses it from then)", END, "expired"],
    ["expired after its end", END + 86_400_000, "expired"],
  ];
  for (const [behaviour, now, expected] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull("sp-secret-expiring");
      const hop = spSecretValid(topo, pair.cluster, new Date(now))!;
      assert.equal(hop.fails.length > 0 ? "expired" : "valid", expected, hop.detail);
      if (expected === "expired") {
        assert.equal(hop.symptom, KUBELET_401);
        assert.match(hop.fails[0], /expired on 2036-06-01/);
        assert.match(
          hop.commands![0],
          /az ad sp credential reset .* az aks update-credentials .* --reset-service-principal/,
        );
        assert.doesNotMatch(
          hop.commands![0],
          /--client-secret [^"$]/,
          "the new secret stays in a shell variable",
        );
      }
    });
  }
  it("fails the recorded expired secret with the date it ended", () => {
    const { topo, pair } = scenarioPull("sp-secret-expired");
    assert.match(spSecretValid(topo, pair.cluster, new Date())!.fails[0], /expired on 2025-06-30/);
  });
  it("has nothing to judge for a cluster with a managed identity", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    assert.equal(spSecretValid(topo, pair.cluster, new Date()), undefined);
  });
});
