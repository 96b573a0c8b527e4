// The resolve step (core/path/resolve.ts): whether the login server resolves, through the private
// DNS zone the cluster's VNet (or its resolver's VNet) is linked to, to the registry's private endpoint.
import * as assert from "node:assert/strict";
import { dnsJudge } from "../../../core/path/resolve";
import { Outcome, outcomeOf, scenarioPull, WILL } from "./scenario";

const I_O_TIMEOUT = /^ErrImagePull: "dial tcp 10\.0\.1\.4:443: i\/o timeout"$/;
const FORBIDDEN = /403 Forbidden/;

describe("dnsJudge: the login server resolves to the registry's private endpoint, or the pull fails", () => {
  const cases: [string, string, Outcome, RegExp?, RegExp?][] = [
    ["a linked zone with the endpoint's records resolves privately", "healthy-hub-spoke", "pass"],
    [
      "a zone not linked to the cluster's VNet: the public address, which refuses (403)",
      "dns-zone-not-linked",
      "fail",
      FORBIDDEN,
      /VNet 'vnet-aks' has no virtual-network link to private DNS zone privatelink\.azurecr\.io/,
    ],
    [
      "custom DNS servers in a hub VNet the zone is not linked to: the resolver answers publicly",
      "custom-dns-resolver",
      "fail",
      FORBIDDEN,
      /resolves through DNS servers 10\.0\.2\.4 in VNet 'vnet-hub'/,
    ],
    [
      "an A record left at an old address: the pull dials it and times out",
      "dns-record-stale",
      "fail",
      I_O_TIMEOUT,
      /A record 'contosoacr' points at 10\.0\.1\.4, but private endpoint 'pe-contosoacr' answers .* at 10\.0\.1\.14/,
    ],
    ["a geo-replica's data endpoint without its record fails", "geo-replica-data-record-missing", "fail"],
    [
      "an endpoint without a zone group, in an unlinked zone, fails",
      "zone-without-zone-group",
      "fail",
      FORBIDDEN,
    ],
  ];
  for (const [behaviour, name, expected, symptom, detail] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(name);
      const verdict = dnsJudge(topo)!(pair, WILL);
      assert.equal(outcomeOf(verdict), expected, JSON.stringify(verdict));
      if (expected === "fail") assert.ok(verdict.symptom, "a failing hop names what the kubelet prints");
      if (symptom) assert.match(verdict.symptom!, symptom);
      if (detail) assert.match(verdict.fails[0], detail);
      if (expected === "fail") assert.match(verdict.fails[0], /will fail with /);
    });
  }
  it("has nothing to judge where the registry has no private endpoint (the public path)", () => {
    const { topo } = scenarioPull("healthy-public");
    assert.equal(dnsJudge(topo), undefined);
  });
});
