// Role assignments against a registry (core/identity/grants.ts): whose they are, what they cover,
// what their role lets the holder do in the registry's mode, and what is broader than pulling.
import * as assert from "node:assert/strict";
import {
  assignmentsNear,
  excessGrants,
  principalCanPull,
  rolePulls,
  scopeCovers,
} from "../../../core/identity/grants";
import { UNKNOWN } from "../../../core/stack/values";
import { armId, rgId, ROLE, roleDefinitionId, SUBSCRIPTION } from "../../fixtures/arm";
import { recordOf, scenarioPull } from "../path/scenario";

const ASSIGNMENT = "Microsoft.Authorization/roleAssignments";
const REGISTRY = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");

/** healthy-public with its one role assignment given this scope and role (and principal, where given). */
function withAssignment(scope: string, roleGuid: string, principalId?: string) {
  return scenarioPull("healthy-public", (resources) => {
    const a = recordOf(resources, ASSIGNMENT);
    a.id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
    a.properties = { ...a.properties, scope, roleDefinitionId: roleDefinitionId(roleGuid) };
    if (principalId) a.properties.principalId = principalId;
  });
}

describe("scopeCovers: an assignment reaches the registry from its own scope or an ancestor's", () => {
  const cases: [string, string, boolean][] = [
    ["the registry itself", REGISTRY, true],
    ["its resource group", rgId("rg-acr"), true],
    ["its subscription", `/subscriptions/${SUBSCRIPTION}`, true],
    ["a management group above it", "/providers/Microsoft.Management/managementGroups/contoso", true],
    [
      "another registry in the same group",
      armId("rg-acr", "Microsoft.ContainerRegistry/registries", "other"),
      false,
    ],
    ["another resource group", rgId("rg-aks"), false],
    ["another subscription", "/subscriptions/00000000-0000-4000-8000-000000000001", false],
  ];
  for (const [behaviour, scope, covers] of cases) {
    it(`${covers ? "covers" : "does not cover"} from ${behaviour}`, () => {
      const { topo, pair } = withAssignment(scope, ROLE.acrPull);
      const [a] = topo.assignments;
      assert.equal(scopeCovers(topo, a, pair.registry), covers);
      // The index by scope may offer more than covers, never less.
      if (covers) assert.ok(assignmentsNear(topo, pair.registry).includes(a), "covers but not near");
    });
  }
});

describe("rolePulls: what a role lets its holder do, by the registry's role assignment mode", () => {
  const cases: [string, string, "healthy-public" | "abac-registry", boolean][] = [
    ["AcrPull pulls from an RBAC registry", ROLE.acrPull, "healthy-public", true],
    ["AcrPull does not pull from an ABAC registry", ROLE.acrPull, "abac-registry", false],
    ["Repository Reader pulls from an ABAC registry", ROLE.repositoryReader, "abac-registry", true],
    ["Contributor pulls from an RBAC registry", ROLE.contributor, "healthy-public", true],
    ["Reader pulls from an RBAC registry (ACR honours its read)", ROLE.reader, "healthy-public", true],
    ["Owner does not pull from an ABAC registry", ROLE.owner, "abac-registry", false],
    [
      "a GUID no built-in or stack role has does not pull",
      "00000000-0000-4000-8000-0000000000aa",
      "healthy-public",
      false,
    ],
  ];
  for (const [behaviour, guid, scenario, pulls] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(scenario, (resources) => {
        const a = recordOf(resources, ASSIGNMENT);
        a.properties = { ...a.properties, roleDefinitionId: roleDefinitionId(guid) };
      });
      const [a] = assignmentsNear(topo, pair.registry);
      assert.equal(rolePulls(topo, a, pair.registry.mode).grants, pulls);
    });
  }

  it("lets a custom role config names (extraPullRoleGuids) pull, by its GUID", () => {
    const guid = "00000000-0000-4000-8000-0000000000bb";
    const { topo, pair } = withAssignment(REGISTRY, guid);
    const [a] = assignmentsNear(topo, pair.registry);
    assert.equal(
      rolePulls(topo, a, pair.registry.mode, { extraPullRoleGuids: new Set([guid]) }).grants,
      true,
    );
  });

  it("leaves AcrPull's verdict to the mode while the mode is not known: the modes disagree", () => {
    const { topo, pair } = withAssignment(REGISTRY, ROLE.acrPull);
    const [a] = assignmentsNear(topo, pair.registry);
    const verdict = rolePulls(topo, a, UNKNOWN);
    assert.equal(verdict.grants, UNKNOWN);
    assert.equal(verdict.onlyModeUnknown, true);
  });

  it("knows Repository Reader pulls in either mode, so an unknown mode does not matter", () => {
    const { topo, pair } = withAssignment(REGISTRY, ROLE.repositoryReader);
    const [a] = assignmentsNear(topo, pair.registry);
    const verdict = rolePulls(topo, a, UNKNOWN);
    assert.equal(verdict.grants, true);
    assert.equal(verdict.onlyModeUnknown, false);
  });
});

describe("excessGrants: roles of the pulling identity broader than pulling", () => {
  it("finds none where the kubelet holds AcrPull", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    assert.deepEqual(excessGrants(topo, pair), []);
  });
  it("names Contributor on the registry (kubelet-over-privileged)", () => {
    const { topo, pair } = scenarioPull("kubelet-over-privileged");
    assert.deepEqual(
      excessGrants(topo, pair).map((g) => g.role),
      ["Contributor"],
    );
  });
  it("ignores a broad role held by another principal", () => {
    const { topo, pair } = withAssignment(REGISTRY, ROLE.owner, "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a");
    assert.deepEqual(excessGrants(topo, pair), []);
  });
});

describe("principalCanPull: whether a principal a pull secret is built from can pull", () => {
  const principal = (objectId: string) => ({ objectId, urns: [], label: `service principal ${objectId}` });
  it("is true for the principal the AcrPull assignment names, false for another", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    const [a] = assignmentsNear(topo, pair.registry);
    const holder = principal(a.principalId as string);
    assert.equal(principalCanPull(topo, holder, pair.registry), true);
    assert.equal(
      principalCanPull(topo, principal("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"), pair.registry),
      false,
    );
  });
  it("is false where the holder's role is scoped to another resource group", () => {
    const { topo, pair } = withAssignment(rgId("rg-aks"), ROLE.acrPull);
    const [a] = topo.assignments;
    assert.equal(principalCanPull(topo, principal(a.principalId as string), pair.registry), false);
  });
});
