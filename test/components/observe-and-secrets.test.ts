import * as pulumi from "@pulumi/pulumi";
import { managedCluster, tokenRecord } from "../fixtures/azure";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { observe } from "../../components/azure/observe";
import { ArmRecord } from "../../components/azure/reader";
import { Fetch } from "../../components/azure/reader";
import { restReader } from "../../components/azure/rest";
import { apiVersionAccepted, atApiVersion } from "../engine/fake-azure";
import { planEgressAccess } from "../../components/registry-egress-access";
import { dockerConfigJson, type PullCredentials } from "../../components/acr-image-pull-secret";
import { sha256 } from "../../core/identity/pull-secrets";
import { loadWorld } from "../../offline/world";
import { planIntegration } from "../../core/plan/integration";
import { worldReader } from "../../offline/world-reader";
import { REPO_ROOT } from "../harness";
import { forgetDeliberateFailures, usePulumiMocks, valueOf } from "../harness/mocks";
import { assertSilent, assertViolation, usePolicyPack } from "../harness";
import { PolicyResourceInput } from "../../offline/resources";

type Components = typeof import("../../components");

/** The value the engine receives for a Pulumi secret: wrapped under the secret signature, encrypted in state. */
function secretValue(v: unknown): Record<string, string> {
  const wrapped = v as Record<string, unknown>;
  assert.equal(
    wrapped["4dabf18193072939515e22adb298388d"],
    "1b47061264138c4ac30d75fd1eb44270",
    "the value is a Pulumi secret",
  );
  return wrapped.value as Record<string, string>;
}
const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));

/** Secret values planted in every secret-bearing field; none may appear whole, in part or base64-encoded. */
const CANARY = { admin: "CanaryAdminPw-7f3e9a1c52", sp: "CanarySpSecret~b81d44e0aa", hint: "Can" };
function assertNoCanary(text: string, where: string) {
  for (const secret of [CANARY.admin, CANARY.sp]) {
    for (const form of [
      secret,
      secret.slice(0, 12),
      secret.slice(-12),
      Buffer.from(secret).toString("base64").slice(0, 16),
    ]) {
      assert.ok(!text.includes(form), `${where} holds part of a canary secret (${form})`);
    }
  }
}

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
    const sub = "/subscriptions/3f2b1c9e-6d4a-4e8b-9a7c-2d1e0f9b8a76";
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

describe("AksAcrObserver, AcrImagePullSecret and RegistryEgressAccess under mocks", () => {
  const mocks = usePulumiMocks({
    "azure-native:containerregistry:listRegistryCredentials": () => ({
      username: "contosoacr",
      passwords: [{ name: "password", value: CANARY.admin }],
    }),
    "azure-native:containerservice:listManagedClusterUserCredentials": (inputs) => ({
      kubeconfigs: [
        {
          name: "clusterUser",
          value: Buffer.from(
            `apiVersion: v1\nkind: Config\nclusters:\n- name: ${String(inputs.resourceName)}\n  cluster:\n    server: https://${String(inputs.resourceName)}.hcp.westeurope.azmk8s.io:443\nusers:\n- name: clusterUser\n  user:\n    token: ${CANARY.sp}\n`,
          ).toString("base64"),
        },
      ],
    }),
  });
  let components: Components;
  before(async () => {
    components = await import("../../components");
  });

  /** The registry entry of the one pull Secret declared: what the kubelet logs in with. */
  const pullSecretLogin = () => {
    const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
    const config = JSON.parse(secretValue(secret.inputs.stringData)[".dockerconfigjson"]);
    return config.auths["contosoacr.azurecr.io"] as { username: string; password: string; auth: string };
  };

  it("the observer registers what it saw as its `observed` output, and the policies read it: drift the stack does not own", async () => {
    const world = scenario("kubelet-identity-off-vmss");
    const observer = new components.AksAcrObserver("obs", {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
      reader: worldReader(world.resources),
    });
    const observed = await valueOf(observer.observed);
    assert.ok(observed.some((r) => r.type.toLowerCase() === "microsoft.compute/virtualmachinescalesets"));
    assert.deepEqual(
      mocks.resources.map((r) => r.type),
      ["aks-acr-guard:index:AksAcrObserver"],
      "it declares nothing",
    );
  });

  it("AcrImagePullSecret builds a dockerconfigjson secret from the registry's live admin credentials, marked secret", async () => {
    const s = new components.AcrImagePullSecret("pull", {
      registryId:
        "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      namespace: "apps",
      attachToDefaultServiceAccount: true,
    });
    await valueOf(s.secret.urn);
    await valueOf(s.serviceAccountPatch!.urn);
    const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
    assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
    assert.deepEqual(secret.inputs.metadata, { name: "acr-contosoacr", namespace: "apps" });
    const login = pullSecretLogin();
    assert.equal(login.username, "contosoacr");
    assert.equal(Buffer.from(login.auth, "base64").toString(), `contosoacr:${CANARY.admin}`);
    const [patch] = mocks.ofType("kubernetes:core/v1:ServiceAccountPatch");
    assert.deepEqual(patch.inputs.metadata, { name: "default", namespace: "apps" });
    assert.deepEqual(patch.inputs.imagePullSecrets, [{ name: "acr-contosoacr" }]);
    assertNoCanary(JSON.stringify(await valueOf(s.secretName)), "the component's outputs");
  });

  /** AksAcrIntegration on the healthy public environment with a pull secret in `apps`, its summary settled. */
  async function integrationWithPullSecret(
    extra: Partial<import("../../components/aks-acr-integration").AksAcrIntegrationArgs> = {},
    opts?: pulumi.ComponentResourceOptions,
  ) {
    const world = scenario("healthy-public");
    const { AksAcrIntegration } = await import("../../components/aks-acr-integration");
    const args = {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
      reader: worldReader(world.resources),
    };
    const integration = new AksAcrIntegration(
      "aks-prod",
      { ...args, pullSecretNamespace: "apps", ...extra },
      opts,
    );
    await valueOf(integration.summary);
    return { integration, args, AksAcrIntegration };
  }

  it("AksAcrIntegration puts a pull secret on clusterId's cluster, through a provider from its credentials, kept secret", async () => {
    // GIVEN the healthy public environment and a pull-secret namespace, and no Kubernetes provider in opts
    await integrationWithPullSecret();
    // THEN a Kubernetes provider for aks-prod is declared from its user kubeconfig, as a secret
    const [provider] = mocks.ofType("pulumi:providers:kubernetes");
    assert.ok(provider, "a provider for the cluster");
    assert.match(String(secretValue(provider.inputs.kubeconfig)), /aks-prod\.hcp/);
    // AND the secret and the ServiceAccount patch go through it, not the default provider
    for (const type of ["kubernetes:core/v1:Secret", "kubernetes:core/v1:ServiceAccountPatch"]) {
      const [r] = mocks.ofType(type);
      assert.ok(
        r?.provider?.startsWith(`urn:pulumi:test::aks-acr-guard::`) &&
          r.provider.includes("pulumi:providers:kubernetes::aks-prod-cluster"),
        `${type}: ${r?.provider}`,
      );
    }
  });

  it("AksAcrIntegration uses the Kubernetes provider given in opts, and builds none", async () => {
    const { Provider } = await import("@pulumi/kubernetes/provider");
    const mine = new Provider("mine", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
    await integrationWithPullSecret({}, { providers: [mine] });
    assert.deepEqual(
      mocks.ofType("pulumi:providers:kubernetes").map((p) => p.name),
      ["mine"],
    );
    const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
    assert.ok(secret.provider?.includes("pulumi:providers:kubernetes::mine"), secret.provider);
  });

  it("AcrImagePullSecret reads a registry's admin credentials in another subscription through a provider of that subscription", async () => {
    const other = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";
    const s = new components.AcrImagePullSecret("shared", {
      registryId: `/subscriptions/${other}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr`,
      namespace: "apps",
      providerSubscriptionId: "3f2b1c9e-6d4a-4e8b-9a7c-2d1e0f9b8a76",
    });
    await valueOf(s.secret.urn);
    assert.deepEqual(
      mocks.ofType("pulumi:providers:azure-native").map((p) => p.inputs.subscriptionId),
      [other],
    );
  });

  const SP_CLIENT_ID = "4d3c2b1a-0f9e-4d8c-b7a6-958473625140";
  for (const [kind, credentials, username] of [
    [
      "a service principal",
      { servicePrincipalClientId: SP_CLIENT_ID, servicePrincipalSecret: CANARY.sp },
      SP_CLIENT_ID,
    ],
    ["a repository-scoped token", { tokenName: "aks-prod-pull", tokenPassword: CANARY.sp }, "aks-prod-pull"],
  ] as const) {
    it(`AcrImagePullSecret pulls with ${kind} when given one, not the admin user`, async () => {
      const s = new components.AcrImagePullSecret("given", {
        registryId:
          "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
        namespace: "apps",
        credentials,
      });
      await valueOf(s.secret.urn);
      const login = pullSecretLogin();
      assert.deepEqual([login.username, login.password], [username, CANARY.sp]);
      assert.equal(mocks.ofType("kubernetes:core/v1:ServiceAccountPatch").length, 0);
    });
  }

  it("AcrImagePullSecret refuses half of a credential, and a service principal with a token", () => {
    const registry = { registryId: "x", namespace: "apps" };
    // The union's halves, as a JavaScript caller or a config could mix them.
    const given = (credentials: object) => ({
      ...registry,
      credentials: credentials as PullCredentials,
    });
    assert.throws(
      () => new components.AcrImagePullSecret("half-sp", given({ servicePrincipalClientId: "y" })),
      /credentials' servicePrincipalClientId and servicePrincipalSecret go together/,
    );
    assert.throws(
      () => new components.AcrImagePullSecret("half-token", given({ tokenName: "t" })),
      /credentials' tokenName and tokenPassword go together/,
    );
    assert.throws(
      () =>
        new components.AcrImagePullSecret(
          "both",
          given({
            tokenName: "aks-prod-pull",
            tokenPassword: "p",
            servicePrincipalClientId: SP_CLIENT_ID,
            servicePrincipalSecret: "q",
          }),
        ),
      /a service principal .* or a token .*, one of them/,
    );
    assert.throws(() => new components.AcrImagePullSecret("empty", given({})), /one of them/);
  });

  it("AksAcrIntegration builds the pull secret from pullSecretCredentials instead of the admin user, and wants a namespace for them", async () => {
    const { integration, args, AksAcrIntegration } = await integrationWithPullSecret({
      pullSecretCredentials: { tokenName: "aks-prod-pull", tokenPassword: pulumi.secret(CANARY.sp) },
    });
    assert.equal(pullSecretLogin().username, "aks-prod-pull");
    assertNoCanary(JSON.stringify(await valueOf(integration.summary)), "the integration's summary");
    assert.throws(
      () =>
        new AksAcrIntegration("no-namespace", {
          ...args,
          pullSecretCredentials: { tokenName: "aks-prod-pull", tokenPassword: "p" },
        }),
      /pullSecretCredentials are for a pull secret: give pullSecretNamespace/,
    );
  });

  it("RegistryEgressAccess gives the rule set for an owned registry and the az commands for another, never wider than asked", async () => {
    const e = new components.RegistryEgressAccess("egress", {
      registryId:
        "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      egressIps: ["20.50.1.4", "20.60.0.9"],
      currentIpRules: ["20.60.0.0/24"],
    });
    assert.deepEqual(await valueOf(e.missingIps), ["20.50.1.4"]);
    assert.deepEqual(await valueOf(e.networkRuleSet), {
      defaultAction: "Deny",
      ipRules: [
        { action: "Allow", iPAddressOrRange: "20.60.0.0/24" },
        { action: "Allow", iPAddressOrRange: "20.50.1.4" },
      ],
    });
    assert.deepEqual(await valueOf(e.commands), [
      "az acr network-rule add --subscription s -g rg-acr -n contosoacr --ip-address 20.50.1.4",
    ]);
    assert.deepEqual(
      mocks.resources.map((r) => r.type),
      ["aks-acr-guard:index:RegistryEgressAccess"],
    );
  });

  it("RegistryEgressAccess refuses what would open the registry, with the value and the expected form", async () => {
    const id =
      "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr";
    assert.throws(() => planEgressAccess(id, ["0.0.0.0/0"], [], 16), /0\.0\.0\.0\/0, wider than \/16/);
    assert.throws(() => planEgressAccess(id, ["20.0.0.0/8"], [], 16), /wider than \/16/);
    assert.throws(
      () => planEgressAccess(id, ["2001:db8::1"], [], 16),
      /expected an IPv4 address or CIDR range/,
    );
    assert.throws(() => planEgressAccess(id, [], [], 16), /egressIps is empty/);
    assert.throws(() => planEgressAccess("contosoacr", ["20.50.1.4"], [], 16), /registryId "contosoacr"/);
    assert.throws(
      () => planEgressAccess(id, ["20.50.1.4"], [], 0),
      /minPrefixLength is 0; expected an integer from 1 to 32/,
    );
    assert.deepEqual(
      planEgressAccess(id, ["20.50.1.4", "20.50.1.4"], [], 16).missingIps,
      ["20.50.1.4"],
      "deduplicated",
    );
    forgetDeliberateFailures();
  });
});

describe("AcrImagePullSecret closes the loop with k8s-acr-pull-secret-valid", () => {
  const { run } = usePolicyPack();
  const registryRes: PolicyResourceInput = {
    type: "azure-native:containerregistry:Registry",
    name: "contosoacr",
    props: {
      id: "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      name: "contosoacr",
      loginServer: "contosoacr.azurecr.io",
      adminUserEnabled: true,
      sku: { name: "Premium" },
    },
  };
  const credentials = (password: string): PolicyResourceInput => ({
    type: "aks-acr-guard:index:AksAcrObserver",
    name: "observer",
    props: {
      observed: [
        {
          id: `${String(registryRes.props.id)}/credentials/admin`,
          name: "credentials",
          type: "Microsoft.ContainerRegistry/registries/credentials",
          properties: { username: "contosoacr", passwordHashes: [sha256(password)] },
        },
      ],
    },
  });
  const secret = (password: string): PolicyResourceInput => ({
    type: "kubernetes:core/v1:Secret",
    name: "acr-contosoacr",
    props: {
      type: "kubernetes.io/dockerconfigjson",
      metadata: { name: "acr-contosoacr", namespace: "apps" },
      stringData: { ".dockerconfigjson": dockerConfigJson("contosoacr.azurecr.io", "contosoacr", password) },
    },
  });

  it("a secret built from a rotated password is reported; the one AcrImagePullSecret builds from live credentials is not", async () => {
    const policy = "k8s-acr-pull-secret-valid";
    // The stack's only cluster, whose kubelet identity cannot pull: the secret decides the pull.
    const aks = managedCluster("aks-prod");
    const stale = await run(policy, [registryRes, aks, credentials(CANARY.admin), secret("rotated-away-0")]);
    assertViolation(stale, "mandatory", secret("rotated-away-0"), "401 Unauthorized");
    for (const d of stale) assertNoCanary(d.message, "a diagnostic");
    assertSilent(await run(policy, [registryRes, credentials(CANARY.admin), secret(CANARY.admin)]));
  });
});
