// The reader over a recording (offline/world-reader.ts): it answers what AksAcrObserver asks Azure,
// as Azure would, from the recording's Resource Graph rows.
import * as assert from "node:assert/strict";
import { credentialsRecord, imagePlatformsRecord } from "../../components/azure/records";
import { worldReader } from "../../offline/world-reader";
import {
  armId,
  assignmentRow,
  peeringRow,
  rgId,
  ROLE,
  roleDefinitionId,
  registryRow,
  servicePrincipalRow,
  SUBSCRIPTION,
  TENANT,
  vnetRow,
} from "../fixtures/arm";

const REGISTRY = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");
const HUB = armId("rg-hub", "Microsoft.Network/virtualNetworks", "vnet-hub");
const pull = (guid: string, scope: string) =>
  assignmentRow(guid, {
    principalId: "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b",
    roleDefinitionId: roleDefinitionId(ROLE.acrPull),
    scope,
  });
const ON_REGISTRY = pull("11111111-1111-4111-8111-111111111111", REGISTRY);
const ON_GROUP = pull("22222222-2222-4222-8222-222222222222", rgId("rg-acr"));
const ON_SUBSCRIPTION = pull("33333333-3333-4333-8333-333333333333", `/subscriptions/${SUBSCRIPTION}`);
const ON_OTHER_GROUP = pull("44444444-4444-4444-8444-444444444444", rgId("rg-aks"));
const SP = servicePrincipalRow(
  {
    objectId: "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
    appId: "4D3C2B1A-0F9E-4D8C-B7A6-958473625140",
    displayName: "aks-prod-sp",
  },
  [
    {
      keyId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      displayName: "aks",
      end: new Date("2027-01-01T00:00:00Z"),
    },
  ],
);
const DIGEST = "sha256:" + "4f".repeat(32);
const PLATFORMS = imagePlatformsRecord(REGISTRY, "contosoacr.azurecr.io", "shop/web", DIGEST, [
  "linux/amd64",
]);
const ADMIN = credentialsRecord(REGISTRY, {
  username: "contosoacr",
  passwords: [{ name: "password", value: "canary" }],
});
const RECORDING = [
  registryRow(REGISTRY, { loginName: "contosoacr" }),
  vnetRow(HUB, "10.0.0.0/16", { "private-endpoints": "10.0.1.0/24" }),
  peeringRow(HUB, "to-vnet-aks", armId("rg-aks", "Microsoft.Network/virtualNetworks", "vnet-aks")),
  ON_REGISTRY,
  ON_GROUP,
  ON_SUBSCRIPTION,
  ON_OTHER_GROUP,
  SP,
  PLATFORMS,
  ADMIN,
];
const reader = worldReader(RECORDING);

describe("worldReader: a recording answers as Azure would", () => {
  it("gets a resource by id in any casing, with a trailing slash, and nothing for one not recorded", async () => {
    assert.equal((await reader.get(REGISTRY.toUpperCase() + "/"))?.id, REGISTRY);
    assert.equal(await reader.get(`${REGISTRY}-gone`), undefined);
  });

  it("answers a subscription with its tenant, as its rows carry it; not one no row is in", async () => {
    assert.deepEqual(await reader.get(`/subscriptions/${SUBSCRIPTION}`), {
      id: `/subscriptions/${SUBSCRIPTION}`,
      name: SUBSCRIPTION,
      type: "Microsoft.Resources/subscriptions",
      subscriptionId: SUBSCRIPTION,
      tenantId: TENANT,
    });
    assert.equal(await reader.get("/subscriptions/00000000-0000-4000-8000-000000000001"), undefined);
  });

  it("lists a collection's direct children only, and a subscription-wide list by type", async () => {
    const peerings = await reader.list(`${HUB}/virtualNetworkPeerings`);
    assert.deepEqual(
      peerings.map((r) => r.name),
      ["to-vnet-aks"],
    );
    const registries = await reader.list(
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.ContainerRegistry/registries`,
    );
    assert.deepEqual(
      registries.map((r) => r.id),
      [REGISTRY],
    );
    assert.deepEqual(
      await reader.list(`${rgId("rg-empty")}/providers/Microsoft.Network/virtualNetworks`),
      [],
    );
  });

  it("gives the role assignments at a scope and at every ancestor's, not a sibling's", async () => {
    const at = await reader.roleAssignmentsAt(REGISTRY);
    assert.deepEqual(
      at.map((a) => a.name).sort(),
      [ON_REGISTRY.name, ON_GROUP.name, ON_SUBSCRIPTION.name].sort(),
    );
  });

  it("finds a service principal by its application id, in any casing", async () => {
    assert.equal((await reader.servicePrincipal("4d3c2b1a-0f9e-4d8c-b7a6-958473625140"))?.id, SP.id);
    assert.equal(await reader.servicePrincipal("00000000-0000-4000-8000-000000000002"), undefined);
  });

  it("gives a registry's admin credentials as recorded: hashes, never the password", async () => {
    const admin = await reader.registryCredentials(REGISTRY);
    assert.equal(admin?.id, ADMIN.id);
    assert.doesNotMatch(JSON.stringify(admin), /canary/);
  });

  it("finds an image's platforms by login server, repository and tag or digest", async () => {
    assert.deepEqual(
      (await reader.imagePlatforms(REGISTRY, "contosoacr.azurecr.io", "shop/web", DIGEST))?.properties
        ?.platforms,
      ["linux/amd64"],
    );
    assert.equal(
      await reader.imagePlatforms(REGISTRY, "contosoacr.azurecr.io", "shop/web", "1.4.2"),
      undefined,
    );
  });
});
