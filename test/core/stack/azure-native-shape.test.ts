// azure-native's shapes (core/stack/azure-native-shape.ts): the ARM id a resource's inputs address and
// back, the inputs a program gives for a recorded resource, and what a preview shows as outputs.
import * as assert from "node:assert/strict";
import {
  armIdOf,
  armInputsOf,
  armParamsOf,
  holdsUnknown,
  pathInputsOf,
  previewOutputsOf,
} from "../../../core/stack/azure-native-shape";
import { UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import { armId, armRecord, SUBSCRIPTION } from "../../fixtures/arm";

const REGISTRY = "azure-native:containerregistry:Registry";
const ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const CLUSTER = "azure-native:containerservice:ManagedCluster";
const registryId = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");

describe("armIdOf and armParamsOf: the ARM id a resource's path inputs address, and back", () => {
  const cases: [string, string, Record<string, string>, string][] = [
    [
      "a resource group's resource",
      REGISTRY,
      { resourceGroupName: "rg-acr", registryName: "contosoacr" },
      registryId,
    ],
    [
      "a scoped resource: under its scope",
      ASSIGNMENT,
      { scope: registryId, roleAssignmentName: "5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c" },
      `${registryId}/providers/Microsoft.Authorization/roleAssignments/5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c`,
    ],
    [
      "an API-versioned token, as its default",
      "azure-native:containerregistry/v20251101:Registry",
      { resourceGroupName: "rg-acr", registryName: "contosoacr" },
      registryId,
    ],
  ];
  for (const [behaviour, token, params, id] of cases) {
    it(behaviour, () => {
      assert.equal(armIdOf(token, params, SUBSCRIPTION), id);
      assert.deepEqual(armParamsOf(token, id), params);
    });
  }
  it("refuses inputs without a path input, and an id of another type", () => {
    assert.throws(
      () => armIdOf(REGISTRY, { resourceGroupName: "rg-acr" }, SUBSCRIPTION),
      /missing required input registryName/,
    );
    assert.throws(() => armParamsOf(ASSIGNMENT, registryId), /is not an id of/);
  });
  it("names the inputs that only address a resource: never outputs, except a scoped one's scope", () => {
    assert.deepEqual(pathInputsOf(REGISTRY), ["registryName", "resourceGroupName"]);
    assert.deepEqual(pathInputsOf(ASSIGNMENT), ["roleAssignmentName"]);
  });
});

describe("armInputsOf: what a program declaring a recorded resource gives", () => {
  it("top-level keys and flattened properties, with the path inputs its id holds, never id, name or type", () => {
    const record = armRecord(
      registryId,
      "Microsoft.ContainerRegistry/registries",
      { adminUserEnabled: false },
      { sku: { name: "Premium" } },
    );
    const inputs = armInputsOf(REGISTRY, record);
    assert.deepEqual(inputs, {
      location: "westeurope",
      sku: { name: "Premium" },
      adminUserEnabled: false,
      resourceGroupName: "rg-acr",
      registryName: "contosoacr",
    });
  });
});

describe("previewOutputsOf: what azure-native's preview shows of a create or an update", () => {
  it("a create: the inputs without path inputs; id, name, type, state and computed outputs unknown", () => {
    const out = previewOutputsOf(REGISTRY, {
      resourceGroupName: "rg-acr",
      registryName: "contosoacr",
      adminUserEnabled: false,
    });
    assert.equal(out.adminUserEnabled, false);
    assert.equal(out.registryName, undefined);
    for (const k of ["id", "name", "type", "provisioningState", "loginServer"])
      assert.equal(out[k], UNKNOWN_WIRE_VALUE, k);
  });
  it("an update keeps the name and location it had; a computed output the inputs set is known", () => {
    const out = previewOutputsOf(
      REGISTRY,
      { registryName: "contosoacr", loginServer: "set.azurecr.io" },
      { name: "contosoacr", location: "westeurope" },
    );
    assert.deepEqual(
      [out.name, out.location, out.loginServer],
      ["contosoacr", "westeurope", "set.azurecr.io"],
    );
  });
  it("a cluster's identity profile is unknown in every preview, and a system-assigned identity's principal too", () => {
    const out = previewOutputsOf(CLUSTER, {
      identityProfile: { kubeletidentity: {} },
      identity: { type: "SystemAssigned" },
    });
    assert.equal(out.identityProfile, UNKNOWN_WIRE_VALUE);
    assert.deepEqual(out.identity, {
      type: "SystemAssigned",
      principalId: UNKNOWN_WIRE_VALUE,
      tenantId: UNKNOWN_WIRE_VALUE,
    });
  });
  it("holdsUnknown finds an unknown at any depth", () => {
    assert.equal(holdsUnknown({ a: [{ b: UNKNOWN_WIRE_VALUE }] }), true);
    assert.equal(holdsUnknown({ a: [{ b: "x" }] }), false);
  });
});
