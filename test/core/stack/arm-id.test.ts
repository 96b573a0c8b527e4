import { SUBSCRIPTION } from "../../fixtures/arm";
import * as assert from "node:assert/strict";
import {
  armIdEquals,
  isScopeAncestorOrSelf,
  parseArmId,
  resourceName,
  resourceType,
} from "../../../core/stack/arm-id";

const SUB = `/subscriptions/${SUBSCRIPTION}`;
const ACR = `${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerRegistry/registries/contosoacr`;

describe("core/arm-id", () => {
  it("parses a resource id into subscription, group, provider segments", () => {
    const id = parseArmId(ACR)!;
    assert.equal(id.kind, "resource");
    assert.equal(id.subscriptionId, SUBSCRIPTION);
    assert.equal(id.resourceGroup, "rg-aks");
    assert.deepEqual(id.resources, [
      { namespace: "Microsoft.ContainerRegistry", type: "registries", name: "contosoacr" },
    ]);
    assert.equal(resourceType(id), "microsoft.containerregistry/registries");
    assert.equal(resourceName(id), "contosoacr");
  });

  it("parses child and extension resources", () => {
    const subnet = parseArmId(
      `${SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes`,
    )!;
    assert.equal(resourceType(subnet), "microsoft.network/virtualnetworks/subnets");
    assert.equal(resourceName(subnet), "nodes");
    const ext = parseArmId(`${ACR}/providers/Microsoft.Authorization/roleAssignments/0b1c`)!;
    assert.equal(resourceType(ext), "microsoft.authorization/roleassignments");
    assert.equal(ext.resources.length, 2);
  });

  it("parses the scopes above a resource", () => {
    assert.equal(parseArmId("/")!.kind, "root");
    assert.equal(
      parseArmId("/providers/Microsoft.Management/managementGroups/platform")!.kind,
      "managementGroup",
    );
    assert.equal(parseArmId(SUB)!.kind, "subscription");
    assert.equal(parseArmId(`${SUB}/resourceGroups/rg-aks/`)!.kind, "resourceGroup");
    assert.equal(
      parseArmId(`/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d`)!
        .kind,
      "resource",
    );
  });

  it("returns undefined for what is not an ARM id", () => {
    for (const bad of [
      "acr1",
      "",
      "subscriptions/x",
      "/subscriptions",
      "/subscriptions//resourceGroups/rg",
      `${SUB}/resourceGroups`,
      `${SUB}/providers/Microsoft.X`,
      `${SUB}/resourceGroups/rg/providers/Microsoft.X/things`,
      42,
      null,
      undefined,
      {},
    ]) {
      assert.equal(parseArmId(bad), undefined, JSON.stringify(bad));
    }
  });

  it("compares ids case-insensitively and ignores a trailing slash", () => {
    assert.ok(armIdEquals(ACR, ACR.toUpperCase() + "/"));
    assert.ok(!armIdEquals(ACR, ACR + "2"));
    assert.ok(!armIdEquals("not-an-id", "not-an-id"));
  });

  it("knows which scopes are ancestors of a resource", () => {
    const acr = parseArmId(ACR)!;
    for (const scope of [
      "/",
      "/providers/Microsoft.Management/managementGroups/mg",
      SUB,
      `${SUB}/resourceGroups/RG-AKS`,
      ACR,
    ]) {
      assert.ok(isScopeAncestorOrSelf(parseArmId(scope)!, acr), scope);
    }
    for (const scope of [
      `${SUB}/resourceGroups/rg-aks2`,
      `${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerRegistry/registries/contosoacr2`,
      "/subscriptions/other",
      `${ACR}/replications/westus`,
    ]) {
      assert.ok(!isScopeAncestorOrSelf(parseArmId(scope)!, acr), scope);
    }
  });
});
