// The walk of one pull (core/path/index.ts): every hop in the kubelet's order, the first failing
// hop worded as what the pods print now, later ones as what they print once it is fixed.
import * as assert from "node:assert/strict";
import { hopsOf, PATH_POLICIES, pullPath, PullPath, STEPS } from "../../../core/path";
import { scenarioPull } from "./scenario";

/** The failing hops as `step policy`, in the order the walk took them. */
const failing = (path: PullPath) =>
  path.hops.filter((h) => h.verdict === "fail").map((h) => `${h.step} ${h.policy}`);

describe("pullPath: the kubelet's pull, hop by hop, by scenario", () => {
  const cases: [string, string, PullPath["via"], PullPath["verdict"], string[]][] = [
    [
      "a healthy public registry pulls through its public endpoint",
      "healthy-public",
      "public endpoint",
      "pulls",
      [],
    ],
    [
      "a healthy hub and spoke pulls through the private endpoint",
      "healthy-hub-spoke",
      "private endpoint",
      "pulls",
      [],
    ],
    [
      "the demo's hub and spoke fails at DNS, then at the peering, then at the pull role",
      "broken-hub-spoke",
      "public endpoint",
      "fails",
      ["resolve acr-private-dns-link", "route aks-acr-vnet-peering", "authorize aks-acr-pull-role"],
    ],
    [
      "no AcrPull for the kubelet fails only at authorize",
      "kubelet-without-acrpull",
      "public endpoint",
      "fails",
      ["authorize aks-acr-pull-role"],
    ],
    [
      "a registry firewall refusing the egress IP fails at admit",
      "registry-firewall-refuses-egress",
      "public endpoint",
      "fails",
      ["admit acr-firewall-aks-egress"],
    ],
    [
      "missing peerings fail the route",
      "vnet-peering-missing",
      "private endpoint",
      "fails",
      ["route aks-acr-vnet-peering"],
    ],
  ];
  for (const [behaviour, scenario, via, verdict, fails] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(scenario);
      const path = pullPath(topo, pair);
      assert.deepEqual(
        { via: path.via, verdict: path.verdict, fails: failing(path) },
        { via, verdict, fails },
        path.hops.map((h) => `${h.step} ${h.verdict}: ${h.detail}`).join("\n"),
      );
    });
  }

  it("walks the steps in the kubelet's order", () => {
    const { topo, pair } = scenarioPull("healthy-hub-spoke");
    const order = pullPath(topo, pair).hops.map((h) => STEPS.indexOf(h.step));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
  });

  it("words the first failing hop as what the pods print now, a later one as what they print once it is fixed", () => {
    const { topo, pair } = scenarioPull("broken-hub-spoke");
    const [dns, peering, role] = pullPath(topo, pair).hops.filter((h) => h.verdict === "fail");
    assert.match(dns.fails.join("\n"), /will fail/);
    assert.doesNotMatch(dns.fails.join("\n"), /still fail/);
    assert.match(peering.fails.join("\n"), /will still fail, once acr-private-dns-link's finding is fixed,/);
    // The pull role's message is the policy's own (it names the grants); the hop carries its symptom.
    assert.equal(role.policy, "aks-acr-pull-role");
    assert.match(role.symptom ?? "", /401 Unauthorized/);
  });

  it("says 'would' for a pair the stack only guesses", () => {
    const { topo, pair } = scenarioPull("vnet-peering-missing");
    const [route] = pullPath(topo, { ...pair, certain: false }).hops.filter((h) => h.verdict === "fail");
    assert.match(route.fails.join("\n"), /would fail/);
    assert.doesNotMatch(route.fails.join("\n"), /will fail/);
  });

  it("walks once per topology and options: every policy asking gets the same path", () => {
    const { topo, pair } = scenarioPull("broken-hub-spoke");
    assert.equal(pullPath(topo, pair), pullPath(topo, pair, {}));
    assert.notEqual(pullPath(topo, pair), pullPath(topo, pair, { egressIps: ["20.50.1.4"] }));
  });

  it("gives each policy its own hops (hopsOf)", () => {
    const { topo, pair } = scenarioPull("broken-hub-spoke");
    const path = pullPath(topo, pair);
    for (const policy of Object.values(PATH_POLICIES))
      assert.ok(hopsOf(path, policy).every((h) => h.policy === policy));
    assert.deepEqual(
      hopsOf(path, PATH_POLICIES.pullRole).map((h) => `${h.step} ${h.verdict}`),
      ["authenticate pass", "authorize fail"],
    );
  });
});
