// Whether the pulling identity may pull (core/identity/pull-access.ts): granted, through a group,
// anonymously, across tenants, or missing and why; one verdict per recorded cause.
import * as assert from "node:assert/strict";
import { anonymousPull, evaluatePullAccess, PullVerdict } from "../../../core/identity/pull-access";
import { recordOf, scenarioPull } from "../path/scenario";

const REGISTRY = "Microsoft.ContainerRegistry/registries";

describe("evaluatePullAccess: the pulling identity's access to the registry, by scenario", () => {
  const cases: [string, string, PullVerdict["status"]][] = [
    ["the kubelet holds AcrPull: granted", "healthy-public", "granted"],
    ["Contributor pulls too (too much, but granted)", "kubelet-over-privileged", "granted"],
    ["a service-principal cluster whose principal holds AcrPull: granted", "sp-secret-expired", "granted"],
    [
      "AcrPull on an Entra group whose members are not shown: via the group",
      "acrpull-through-group",
      "viaGroup",
    ],
    ["a registry in another tenant: no role reaches across", "registry-in-another-tenant", "crossTenant"],
    ["no assignment for the kubelet: missing", "kubelet-without-acrpull", "missing"],
    ["AcrPull on the control-plane identity only: missing", "broken-hub-spoke", "missing"],
    ["AcrPull on an ABAC registry: missing", "abac-registry", "missing"],
  ];
  for (const [behaviour, scenario, status] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(scenario);
      assert.equal(evaluatePullAccess(topo, pair).status, status);
    });
  }

  it("names the control-plane identity's AcrPull as misdirected", () => {
    const { topo, pair } = scenarioPull("broken-hub-spoke");
    const verdict = evaluatePullAccess(topo, pair);
    assert.ok(verdict.status === "missing");
    assert.deepEqual(
      verdict.misdirected.map((g) => g.role),
      ["AcrPull"],
    );
    assert.match(
      verdict.misdirected[0].holder,
      /control-plane \(system-assigned\) identity, which the kubelet does not pull with/,
    );
  });

  it("names AcrPull as ineffective on an ABAC registry", () => {
    const { topo, pair } = scenarioPull("abac-registry");
    const verdict = evaluatePullAccess(topo, pair);
    assert.ok(verdict.status === "missing");
    assert.equal(verdict.mode, "abac");
    assert.deepEqual(
      verdict.ineffective.map((g) => g.role),
      ["AcrPull"],
    );
  });

  it("takes a registry the stack declares without a mode (azure-native has none) as Azure's default, RBAC", () => {
    const { topo, pair } = scenarioPull("healthy-public", (resources) => {
      delete recordOf(resources, REGISTRY).properties!.roleAssignmentMode;
    });
    assert.equal(pair.registry.mode, "rbac");
    assert.equal(evaluatePullAccess(topo, pair).status, "granted");
  });
});

describe("anonymousPull: the registry lets anyone pull", () => {
  const cases: [string, string, boolean][] = [
    ["not by default", "healthy-public", false],
    ["when anonymousPullEnabled on a Standard registry", "anonymous-pull", true],
  ];
  for (const [behaviour, scenario, expected] of cases) {
    it(behaviour, () => {
      const { pair } = scenarioPull(scenario);
      assert.equal(anonymousPull(pair.registry), expected);
    });
  }
  it("not on a Basic registry, which has no anonymous pull, whatever the flag says", () => {
    const { pair } = scenarioPull("anonymous-pull", (resources) => {
      recordOf(resources, REGISTRY).sku = { name: "Basic", tier: "Basic" };
    });
    assert.equal(anonymousPull(pair.registry), false);
  });
});
