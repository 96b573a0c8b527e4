// ARM types and records (core/stack/arm-types.ts): the token a program declares each type with,
// a record flattened as azure-native shows it, and each subscription's tenant from the rows.
import * as assert from "node:assert/strict";
import {
  ARM_TYPE_TOKENS,
  flattenArm,
  subscriptionTenants,
  tokenOfArmType,
} from "../../../core/stack/arm-types";
import { armId, registryRow, servicePrincipalRow, SUBSCRIPTION, TENANT } from "../../fixtures/arm";

describe("tokenOfArmType: the azure-native token of an ARM type", () => {
  const cases: [string, unknown, string | undefined][] = [
    [
      "as Resource Graph gives it (lower case)",
      "microsoft.containerregistry/registries",
      "azure-native:containerregistry:Registry",
    ],
    [
      "as ARM spells it",
      "Microsoft.ContainerService/ManagedClusters",
      "azure-native:containerservice:ManagedCluster",
    ],
    [
      "a child type",
      "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
      "azure-native:privatedns:VirtualNetworkLink",
    ],
    [
      "a Graph object (azuread)",
      "Microsoft.Graph/servicePrincipals",
      "azuread:index/servicePrincipal:ServicePrincipal",
    ],
    ["a type nothing reads", "Microsoft.Storage/storageAccounts", undefined],
    ["not text", 42, undefined],
  ];
  for (const [behaviour, type, token] of cases)
    it(behaviour, () => assert.equal(tokenOfArmType(type), token));

  it("keys every type in lower case, so a lookup in any casing finds it", () => {
    for (const type of Object.keys(ARM_TYPE_TOKENS)) assert.equal(type, type.toLowerCase());
  });
});

describe("flattenArm: a record as azure-native registers its outputs", () => {
  it("lifts `properties` to the top level, keeping the rest", () => {
    const row = registryRow(armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr"), {
      loginName: "contosoacr",
    });
    const flat = flattenArm(row);
    assert.equal(flat.loginServer, "contosoacr.azurecr.io");
    assert.deepEqual(flat.sku, { name: "Premium", tier: "Premium" });
    assert.ok(!("properties" in flat));
  });
  it("leaves a record without properties as it is", () => {
    assert.deepEqual(flattenArm({ id: "/x", name: "x", type: "t" }), { id: "/x", name: "x", type: "t" });
  });
});

describe("subscriptionTenants: each subscription's tenant, from the rows' tenantId", () => {
  it("maps a subscription to its rows' tenant, lower case, and ignores rows outside subscriptions", () => {
    const rows = [
      registryRow(armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr"), {
        loginName: "contosoacr",
      }),
      servicePrincipalRow({ objectId: "o", appId: "a", displayName: "sp" }, []),
    ];
    assert.deepEqual([...subscriptionTenants(rows)], [[SUBSCRIPTION, TENANT]]);
  });
  it("keeps the first tenant a subscription's rows give", () => {
    const id = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");
    const rows = [
      { ...registryRow(id, { loginName: "contosoacr" }), tenantId: "AAAAAAAA-0000-4000-8000-000000000000" },
      registryRow(id, { loginName: "contosoacr" }),
    ];
    assert.equal(subscriptionTenants(rows).get(SUBSCRIPTION), "aaaaaaaa-0000-4000-8000-000000000000");
  });
});
