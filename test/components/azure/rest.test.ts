// How the observer reaches Azure over HTTPS (components/azure/rest.ts): the API version each
// resource type is read at, and the endpoints of the provider's cloud.
import * as assert from "node:assert/strict";
import { apiVersionOf, cloudEndpoints, CLOUDS } from "../../../components/azure/rest";
import { Fetch } from "../../../components/azure/reader";
import { apiVersionAccepted } from "../../engine/fake-azure";
import { SUBSCRIPTION } from "../../fixtures/arm";

const SUB = `/subscriptions/${SUBSCRIPTION}`;
const RG = `${SUB}/resourceGroups/rg-acr`;
const REGISTRY = `${RG}/providers/Microsoft.ContainerRegistry/registries/contosoacr`;

describe("apiVersionOf: the API version a path is read at, by the resource type it addresses", () => {
  const cases: [string, string, string][] = [
    ["a subscription (its tenant): the Subscriptions API", SUB, "2022-12-01"],
    ["a registry: the first version that returns roleAssignmentMode", REGISTRY, "2025-05-01-preview"],
    ["a registry's tokens: the registry provider's stable version", `${REGISTRY}/tokens`, "2023-07-01"],
    [
      "role assignments at a registry: Microsoft.Authorization's, not the registry's",
      `${REGISTRY}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()`,
      "2022-04-01",
    ],
    [
      "a managed cluster",
      `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
      "2024-09-01",
    ],
    ["scale sets", `${RG}/providers/Microsoft.Compute/virtualMachineScaleSets`, "2024-07-01"],
    [
      "a private DNS zone's links",
      `${RG}/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.io/virtualNetworkLinks`,
      "2024-06-01",
    ],
    ["a VNet", `${RG}/providers/Microsoft.Network/virtualNetworks/vnet-hub`, "2024-05-01"],
    [
      "a user-assigned identity",
      `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet`,
      "2023-01-31",
    ],
    ["any casing", REGISTRY.toUpperCase(), "2025-05-01-preview"],
  ];
  for (const [behaviour, path, version] of cases) {
    it(behaviour, () => {
      assert.equal(apiVersionOf(path), version);
      // The fake ARM the suites read takes only what Azure documents for the type.
      if (!path.includes("?"))
        assert.ok(apiVersionAccepted(path, version), `${version} is documented for ${path}`);
    });
  }
});

describe("cloudEndpoints: ARM and Graph of the provider's cloud", () => {
  const never: Fetch = async () => {
    throw new Error("no request expected");
  };
  const cases: [string, { environment?: string }, (typeof CLOUDS)[string]][] = [
    ["public by default, as azure-native's default", {}, CLOUDS.public],
    ["usgovernment", { environment: "usgovernment" }, CLOUDS.usgovernment],
    ["usgov, azure-native's other name for it", { environment: "usgov" }, CLOUDS.usgovernment],
    ["china, in any casing", { environment: "China" }, CLOUDS.china],
  ];
  for (const [behaviour, config, expected] of cases) {
    it(behaviour, async () => assert.deepEqual(await cloudEndpoints(config, never), expected));
  }
  it("refuses a cloud it does not know, naming the value and the choices", async () => {
    await assert.rejects(
      cloudEndpoints({ environment: "moon" }, never),
      /azure-native:environment "moon" is not a cloud the observer knows; expected one of public, usgovernment, china, or set azure-native:metadataHost/,
    );
  });
  it("asks metadataHost for its endpoints, as the provider does, trailing slashes trimmed", async () => {
    const asked: string[] = [];
    const stack: Fetch = async (url) => {
      asked.push(url);
      return {
        status: 200,
        json: async () => ({
          resourceManager: "https://arm.stack.local/",
          microsoftGraphResourceId: "https://graph.stack.local/",
        }),
      };
    };
    assert.deepEqual(await cloudEndpoints({ metadataHost: "stack.local" }, stack), {
      resourceManager: "https://arm.stack.local",
      graph: "https://graph.stack.local",
    });
    assert.deepEqual(asked, ["https://stack.local/metadata/endpoints?api-version=2022-09-01"]);
  });
  it("refuses a metadata answer without the endpoints, with the status", async () => {
    const broken: Fetch = async () => ({ status: 404, json: async () => ({}) });
    await assert.rejects(
      cloudEndpoints({ metadataHost: "stack.local" }, broken),
      /azure-native:metadataHost stack\.local: .* answered 404 without resourceManager and microsoftGraphResourceId/,
    );
  });
});
