import * as assert from "node:assert/strict";
import { roleAssignmentName, uuidV5 } from "../../../core/plan/uuid";

describe("core/uuid", () => {
  it("computes RFC 9562 version-5 UUIDs", () => {
    // Vectors computed with Python's uuid.uuid5.
    assert.equal(
      uuidV5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
    assert.equal(
      uuidV5("Hello, World!", "1b671a64-40d5-491e-99b0-da01ff1f3341"),
      "630eb68f-e0fa-5ecc-887a-7c7a62614681",
    );
  });

  it("fails when the namespace is not a UUID", () => {
    assert.throws(() => uuidV5("x", "not-a-uuid"), /namespace "not-a-uuid" is not a UUID/);
  });

  it("names a role assignment the same on every run and whatever the case of its ids", () => {
    const a = roleAssignmentName(
      "/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerRegistry/registries/Acr",
      "AB",
      "7F95",
    );
    assert.equal(
      a,
      roleAssignmentName(
        "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/acr",
        "ab",
        "7f95",
      ),
    );
    assert.notEqual(
      a,
      roleAssignmentName(
        "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/acr",
        "ab",
        "8311",
      ),
    );
  });
});
