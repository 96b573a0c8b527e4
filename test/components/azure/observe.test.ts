/** observe(): what AksAcrObserver reads from Azure, through restReader over a fake ARM, Graph and registry. */
import { SUBSCRIPTION } from "../../fixtures/arm";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { tokenRecord } from "../../fixtures/azure";
import { sha256 } from "../../../core/identity/pull-secrets";
import { observe } from "../../../components/azure/observe";
import { ArmRecord, Fetch } from "../../../components/azure/reader";
import { restReader } from "../../../components/azure/rest";
import { apiVersionAccepted, atApiVersion } from "../../engine/fake-azure";
import { planIntegration } from "../../../core/plan/integration";
import { loadWorld } from "../../../offline/world";
import { worldReader } from "../../../offline/world-reader";
import { REPO_ROOT } from "../../harness";
import { CANARY, assertNoCanary } from "../../fixtures/secrets";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));

/** The images the fake registry holds: a manifest list for one, a single amd64 image for the other. */
const REGISTRY_IMAGES: Record<string, Record<string, unknown>> = {
  "shop/web:1.4.2": {
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      { digest: "sha256:" + "a1".repeat(32), platform: { os: "linux", architecture: "amd64" } },
      {
        digest: "sha256:" + "b2".repeat(32),
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      },
      // A build attestation, as buildx pushes one: not a platform.
      { digest: "sha256:" + "c3".repeat(32), platform: { os: "unknown", architecture: "unknown" } },
    ],
  },
  "shop/worker:2.0.0": {
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { digest: "sha256:" + "d4".repeat(32) },
  },
};

/** ACR's data plane as the observer meets it: token exchange, then manifests and blobs with a pull-scoped token. */
async function registryDataPlane(url: string, init: Parameters<Fetch>[1]) {
  const u = new URL(url);
  const json = (status: number, body: unknown) => ({ status, json: async () => body });
  const form = new URLSearchParams(init.body ?? "");
  if (u.pathname === "/oauth2/exchange") {
    assert.equal(init.method, "POST");
    assert.equal(form.get("grant_type"), "access_token");
    assert.equal(form.get("service"), u.host);
    assert.equal(form.get("access_token"), "token-for-https://management.azure.com");
    return json(200, { refresh_token: CANARY.sp });
  }
  if (u.pathname === "/oauth2/token") {
    assert.equal(form.get("refresh_token"), CANARY.sp);
    assert.match(form.get("scope") ?? "", /^repository:[a-z/]+:pull$/);
    return json(200, { access_token: `${CANARY.admin}-${form.get("scope")}` });
  }
  const repo = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(u.pathname);
  if (!repo || !init.headers.Authorization?.startsWith(`Bearer ${CANARY.admin}-repository:${repo[1]}:pull`))
    return json(401, { errors: [{ code: "UNAUTHORIZED" }] });
  if (repo[2] === "blobs") return json(200, { architecture: "amd64", os: "linux", config: {} });
  const manifest = REGISTRY_IMAGES[`${repo[1]}:${repo[3]}`];
  return manifest ? json(200, manifest) : json(404, { errors: [{ code: "MANIFEST_UNKNOWN" }] });
}

/** A fake Azure behind restReader: answers ARM and Graph from records, and plants canary secrets. */
function fakeAzure(records: ArmRecord[]) {
  const requests: string[] = [];
  const byId = worldReader(records);
  const fetchImpl: Fetch = async (url, init) => {
    requests.push(`${init.method} ${url}`);
    if (new URL(url).host.endsWith(".azurecr.io")) return registryDataPlane(url, init);
    assert.match(
      init.headers.Authorization,
      /^Bearer token-for-https:\/\/(management\.azure\.com|graph\.microsoft\.com)$/,
    );
    const u = new URL(url);
    const json = (status: number, body: unknown) => ({ status, json: async () => body });
    if (u.host === "graph.microsoft.com") {
      const appId = /appId='([^']+)'/.exec(decodeURIComponent(u.pathname))?.[1] ?? "";
      const sp = await byId.servicePrincipal(appId);
      if (!sp) return json(404, {});
      const p = sp.properties!;
      // Graph returns the secret's first characters as `hint`: the observer must drop it.
      const creds = (p.passwordCredentials as Record<string, unknown>[]).map((c) => ({
        ...c,
        hint: CANARY.hint,
        secretText: null,
      }));
      return json(200, {
        id: p.objectId,
        appId: p.appId,
        displayName: p.displayName,
        passwordCredentials: creds,
      });
    }
    const p = decodeURIComponent(u.pathname);
    // Azure refuses an api-version it does not document for the type asked about; so does this fake.
    const addressed = /\/providers\/Microsoft\.Authorization\/roleAssignments$/i.test(p)
      ? `${p}/x`
      : p.replace(/\/listCredentials$/i, "");
    if (!apiVersionAccepted(addressed, u.searchParams.get("api-version")))
      return json(400, { error: { code: "InvalidApiVersionParameter", message: `${url}` } });
    if (init.method === "POST" && p.endsWith("/listCredentials")) {
      return json(200, {
        username: "contosoacr",
        passwords: [
          { name: "password", value: CANARY.admin },
          { name: "password2", value: CANARY.sp },
        ],
      });
    }
    if (p.endsWith("/providers/Microsoft.Authorization/roleAssignments")) {
      return json(200, {
        value: await byId.roleAssignmentsAt(
          p.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments$/, ""),
        ),
      });
    }
    const one = await byId.get(p);
    if (one) return json(200, atApiVersion(one, u.searchParams.get("api-version")));
    const list = await byId.list(p);
    if (
      list.length > 0 ||
      /\/(virtualMachineScaleSets|privateDnsZoneGroups|virtualNetworkLinks|A|ruleCollectionGroups|tokens)$/.test(
        p,
      )
    )
      return json(200, { value: list });
    return json(404, { error: { code: "ResourceNotFound", message: `echo ${CANARY.admin}` } });
  };
  return { reader: restReader(async (resource) => `token-for-${resource}`, fetchImpl), requests };
}

describe("AksAcrObserver's reads", () => {
  it("reads over ARM and Graph what the policies need, as ARM records", async () => {
    const world = scenario("broken-hub-spoke");
    const { reader, requests } = fakeAzure(world.resources);
    const records = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
    const types = new Set(records.map((r) => r.type.toLowerCase()));
    for (const t of [
      "microsoft.containerservice/managedclusters",
      "microsoft.containerregistry/registries",
      "microsoft.compute/virtualmachinescalesets",
      "microsoft.authorization/roleassignments",
      "microsoft.network/virtualnetworks",
      "microsoft.network/privateendpoints",
      "microsoft.network/privateendpoints/privatednszonegroups",
      "microsoft.network/privatednszones",
      "microsoft.network/privatednszones/virtualnetworklinks",
      "microsoft.network/privatednszones/a",
      "microsoft.network/publicipaddresses",
    ]) {
      assert.ok(types.has(t), `observed a ${t}`);
    }
    assert.ok(
      requests.some((r) => r.includes("roleAssignments?$filter=atScope()")),
      "role assignments that apply at the registry",
    );
    assert.ok(
      requests.every((r) => r.startsWith("GET ")),
      "reads only",
    );
  });

  it("reads the VNets a cluster VNet with custom DNS servers is peered with (where its resolver is), and plans their zone link", async () => {
    const world = scenario("custom-dns-resolver");
    const spokeId = world.resources.find((r) => r.id.endsWith("/virtualNetworks/vnet-aks"))!.id;
    const dnsId = spokeId.replace("/virtualNetworks/vnet-aks", "/virtualNetworks/vnet-dns");
    // The resolver in a VNet of its own (no private endpoint there), peered with the spoke.
    const dnsVnet = {
      id: dnsId,
      name: "vnet-dns",
      type: "microsoft.network/virtualnetworks",
      location: "westeurope",
      properties: {
        addressSpace: { addressPrefixes: ["10.1.0.0/24"] },
        subnets: [],
        virtualNetworkPeerings: [],
      },
    };
    const records = [
      ...world.resources.map((r) =>
        r.id === spokeId
          ? {
              ...r,
              properties: {
                ...r.properties,
                dhcpOptions: { dnsServers: ["10.1.0.4"] },
                virtualNetworkPeerings: [
                  ...((r.properties?.virtualNetworkPeerings as unknown[]) ?? []),
                  {
                    id: `${spokeId}/virtualNetworkPeerings/to-vnet-dns`,
                    name: "to-vnet-dns",
                    properties: { remoteVirtualNetwork: { id: dnsId }, peeringState: "Connected" },
                  },
                ],
              },
            }
          : r,
      ),
      dnsVnet,
    ];
    const { reader } = fakeAzure(records);
    const observed = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
    assert.ok(
      observed.some((r) => r.id === dnsId),
      "the resolver's VNet is read",
    );
    const plan = planIntegration(
      observed,
      { clusterId: world.config.clusterId, registryId: world.config.registryId },
      "aks-prod",
    );
    assert.deepEqual(
      plan.dns?.vnetIds.map((v) => v.split("/").pop()),
      ["vnet-dns"],
    );
  });

  it("records a service principal's credential end dates and a registry's admin password hashes, never a secret", async () => {
    const world = scenario("sp-secret-expired");
    const records = world.resources.map((r) =>
      r.type.endsWith("registries") ? { ...r, properties: { ...r.properties, adminUserEnabled: true } } : r,
    );
    const { reader, requests } = fakeAzure(records);
    const observed = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
    const sp = observed.find((r) => r.type === "Microsoft.Graph/servicePrincipals")!;
    assert.deepEqual(
      (sp.properties!.passwordCredentials as Record<string, unknown>[]).map((c) => [
        c.endDateTime,
        c.source,
        c.hint,
      ]),
      [
        ["2025-06-30T00:00:00Z", "servicePrincipal", undefined],
        ["2025-06-30T00:00:00Z", "application", undefined],
      ],
    );
    const creds = observed.find((r) => r.type === "Microsoft.ContainerRegistry/registries/credentials")!;
    assert.deepEqual(creds.properties, {
      username: "contosoacr",
      passwordHashes: [sha256(CANARY.admin), sha256(CANARY.sp)],
    });
    assert.ok(requests.some((r) => r.startsWith("POST ") && r.includes("/listCredentials?api-version=")));
    assertNoCanary(JSON.stringify(observed), "the observed records");
    assert.ok(!JSON.stringify(observed).includes(`"hint"`), "Graph's secret hint is dropped");
  });

  it("reads the registry's repository-scoped tokens (expiry kept, never a password) and the IP groups firewall rules name", async () => {
    // GIVEN the hub-firewall world, a rule that names an IP group, and a token whose record carries a password value
    const world = scenario("hub-firewall-blocks");
    const sub = `/subscriptions/${SUBSCRIPTION}`;
    const ipGroupId = `${sub}/resourceGroups/rg-hub/providers/Microsoft.Network/ipGroups/ipg-spokes`;
    const records: ArmRecord[] = world.resources.map((r) =>
      r.id.endsWith("/ruleCollectionGroups/platform")
        ? structuredClone({
            ...r,
            properties: {
              ...r.properties,
              ruleCollections: [
                ...(r.properties!.ruleCollections as unknown[]),
                {
                  ruleCollectionType: "FirewallPolicyFilterRuleCollection",
                  name: "spokes",
                  priority: 200,
                  action: { type: "Allow" },
                  rules: [
                    {
                      ruleType: "NetworkRule",
                      name: "from-spokes",
                      sourceIpGroups: [ipGroupId],
                      destinationAddresses: ["*"],
                      destinationPorts: ["443"],
                      ipProtocols: ["TCP"],
                    },
                  ],
                },
              ],
            },
          })
        : r,
    );
    records.push(
      {
        id: ipGroupId,
        name: "ipg-spokes",
        type: "Microsoft.Network/ipGroups",
        location: "westeurope",
        properties: { provisioningState: "Succeeded", ipAddresses: ["10.10.0.0/16"] },
      },
      tokenRecord(world.config.registryId, "ci-pull", {
        expiry: "2026-12-31T00:00:00Z",
        value: CANARY.admin,
      }),
    );
    const { reader, requests } = fakeAzure(records);
    const observed = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
      firewallPolicyId: world.config.firewallPolicyId,
    });
    // THEN both are recorded, and the token's password keeps its expiry and nothing else
    assert.deepEqual(observed.find((r) => r.id === ipGroupId)?.properties?.ipAddresses, ["10.10.0.0/16"]);
    const token = observed.find((r) => r.type === "Microsoft.ContainerRegistry/registries/tokens");
    assert.deepEqual((token?.properties?.credentials as Record<string, unknown>).passwords, [
      { name: "password1", creationTime: "2026-01-01T00:00:00Z", expiry: "2026-12-31T00:00:00Z" },
    ]);
    assertNoCanary(JSON.stringify(observed), "the observed records");
    assert.ok(requests.some((r) => r.includes("/registries/contosoacr/tokens?api-version=")));
  });

  it("reads the platforms of the registry's images from their manifests, keeping no token", async () => {
    const world = scenario("healthy-public");
    const { reader, requests } = fakeAzure(world.resources);
    const observed = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
      images: [
        "contosoacr.azurecr.io/shop/web:1.4.2",
        "contosoacr.azurecr.io/shop/worker:2.0.0",
        "contosoacr.azurecr.io/shop/gone:0.1",
        "docker.io/library/nginx:1.27",
      ],
    });
    const read = observed
      .filter((r) => r.type === "Microsoft.ContainerRegistry/registries/imagePlatforms")
      .map((r) => [r.properties!.image, r.properties!.platforms]);
    assert.deepEqual(read, [
      ["contosoacr.azurecr.io/shop/web:1.4.2", ["linux/amd64", "linux/arm64/v8"]],
      ["contosoacr.azurecr.io/shop/worker:2.0.0", ["linux/amd64"]],
    ]);
    assertNoCanary(JSON.stringify(observed), "the observed records");
    assert.ok(!requests.some((r) => r.includes("docker.io")), "another registry's image is not read");
    await assert.rejects(
      observe(reader, {
        clusterId: world.config.clusterId,
        registryId: world.config.registryId,
        images: ["Not An Image"],
      }),
      /AksAcrObserver: images: "Not An Image" is not an image reference/,
    );
  });

  it("finds the privatelink zone as a person would when no zone group names it", async () => {
    // GIVEN a hub whose endpoint has no DNS zone group (A records written by hand), and a second,
    // unrelated privatelink zone in the same subscription
    const world = scenario("healthy-hub-spoke");
    const bare = world.resources.filter((r) => !r.type.toLowerCase().endsWith("/privatednszonegroups"));
    const zone = bare.find((r) => r.type.toLowerCase() === "microsoft.network/privatednszones")!;
    const decoy: ArmRecord = {
      ...zone,
      id: zone.id.replace(/resourceGroups\/[^/]+/, "resourceGroups/rg-sandbox"),
    };
    const { reader, requests } = fakeAzure([decoy, ...bare]);
    const observed = await observe(reader, {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
    // THEN it reads the zone that holds the registry's A record, with its links and records
    const zones = observed
      .filter((r) => r.type.toLowerCase() === "microsoft.network/privatednszones")
      .map((r) => r.id);
    assert.deepEqual(zones, [zone.id]);
    assert.ok(
      observed.some((r) => r.type.toLowerCase().endsWith("privatednszones/a") && r.name === "contosoacr"),
    );
    assert.ok(observed.some((r) => r.type.toLowerCase().endsWith("virtualnetworklinks")));
    assert.ok(
      requests.some((r) =>
        /\/providers\/Microsoft\.Network\/privateDnsZones\?api-version=2024-06-01/.test(r),
      ),
    );
  });

  it("keeps no field that can hold a secret, even where ARM would return one", async () => {
    const world = scenario("healthy-public");
    const planted = world.resources.map((r) => {
      const t = r.type.toLowerCase();
      if (t.endsWith("managedclusters")) {
        return {
          ...r,
          properties: {
            ...r.properties,
            servicePrincipalProfile: { clientId: "msi", secret: CANARY.sp },
            windowsProfile: { adminUsername: "azureuser", adminPassword: CANARY.admin },
          },
        };
      }
      if (t.endsWith("virtualmachinescalesets")) {
        return {
          ...r,
          properties: {
            ...r.properties,
            virtualMachineProfile: {
              osProfile: { customData: Buffer.from(CANARY.admin).toString("base64") },
              extensionProfile: { extensions: [{ properties: { protectedSettings: { key: CANARY.sp } } }] },
            },
          },
        };
      }
      return r;
    });
    const observed = await observe(worldReader(planted), {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
    assertNoCanary(JSON.stringify(observed), "the observed records");
    const cluster = observed.find((r) => r.type.toLowerCase().endsWith("managedclusters"))!;
    assert.deepEqual(
      cluster.properties!.servicePrincipalProfile,
      { clientId: "msi" },
      "what the policies read stays",
    );
    assert.equal((cluster.properties!.windowsProfile as Record<string, unknown>).adminUsername, "azureuser");
  });

  it("fails with the resource and never the answer when ARM refuses a read", async () => {
    const { reader } = fakeAzure([]);
    await assert.rejects(
      observe(reader, {
        clusterId:
          "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/nope",
        registryId:
          "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/nope",
      }),
      (e: Error) =>
        /cluster .*managedClusters\/nope does not exist/.test(e.message) && !e.message.includes(CANARY.admin),
    );
    await assert.rejects(
      observe(reader, { clusterId: "aks-prod", registryId: "contosoacr" }),
      /AksAcrObserver: clusterId "aks-prod" is not .*managed cluster/,
    );
  });
});
