/**
 * AksAcrIntegration: what it declares for a cluster it is pointed at (clusterId) and for one the
 * stack declares (cluster), and the pull secret it puts on the cluster, under Pulumi's mocks, its
 * Azure reads answered from a scenario. What it plans is tested in test/core/plan/integration.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { ManagedCluster } from "@pulumi/azure-native/containerservice";
import { roleAssignmentName } from "../../core/plan/uuid";
import { worldReader } from "../../offline/world-reader";
import { loadWorld, World } from "../../offline/world";
import { REPO_ROOT } from "../harness";
import { forgetDeliberateFailures, usePulumiMocks, valueOf } from "../harness/mocks";
import { assertNoCanary, CANARY, CREDENTIAL_INVOKES, secretValue } from "../fixtures/secrets";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const REPOSITORY_READER = "b93aa761-3e63-49ed-ac28-beffa264f7ac";

/** The recorded cluster's kubelet object id, as the created cluster's outputs will carry it. */
function kubeletOf(world: World): string | undefined {
  const cluster = world.resources.find((r) => r.id.toLowerCase() === world.config.clusterId.toLowerCase());
  const profile = cluster?.properties?.identityProfile as
    { kubeletidentity?: { objectId?: string } } | undefined;
  return profile?.kubeletidentity?.objectId;
}

describe("AksAcrIntegration", () => {
  // The cluster the test declares: created with the recorded cluster's id and kubelet identity (or none).
  let createdAs: { id: string; kubelet?: string } = { id: "" };
  const mocks = usePulumiMocks(CREDENTIAL_INVOKES, (type, _name, inputs) =>
    type === "azure-native:containerservice:ManagedCluster"
      ? {
          id: createdAs.id,
          state: {
            ...inputs,
            name: inputs.resourceName,
            ...(createdAs.kubelet
              ? { identityProfile: { kubeletidentity: { objectId: createdAs.kubelet } } }
              : {}),
          },
        }
      : undefined,
  );

  /** A cluster the stack declares, created as the scenario's cluster (its id and kubelet identity; null: a service-principal cluster). */
  async function declaredCluster(
    world: World,
    kubelet: string | null = kubeletOf(world)!,
  ): Promise<ManagedCluster> {
    createdAs = { id: world.config.clusterId, kubelet: kubelet ?? undefined };
    const { ManagedCluster } = await import("@pulumi/azure-native/containerservice");
    return new ManagedCluster("aks-prod", {
      resourceGroupName: "rg-aks",
      resourceName: "aks-prod",
      dnsPrefix: "aks-prod",
      identity: { type: "SystemAssigned" },
      agentPoolProfiles: [{ name: "system", count: 1, vmSize: "Standard_D4ds_v5", mode: "System" }],
    });
  }

  async function integrate(world: World, args: Record<string, unknown>) {
    const { AksAcrIntegration } = await import("../../components/aks-acr-integration");
    const integration = new AksAcrIntegration("aks-prod", {
      registryId: world.config.registryId,
      reader: worldReader(world.resources),
      ...args,
    });
    return { integration, summary: await valueOf(integration.summary) };
  }

  describe("given a cluster the stack declares", () => {
    it("declares the new kubelet identity's AcrPull at construction, once, and no command for it", async () => {
      // GIVEN a cluster without AcrPull, declared by the stack
      const world = scenario("kubelet-without-acrpull");
      const cluster = await declaredCluster(world);
      // WHEN the integration is given the cluster itself
      const { summary } = await integrate(world, { cluster });
      // THEN one AcrPull assignment for its kubelet identity, named as every run names it
      const assignments = mocks.ofType("azure-native:authorization:RoleAssignment");
      assert.equal(assignments.length, 1);
      const [ra] = assignments;
      assert.equal(ra.inputs.principalId, kubeletOf(world));
      assert.match(String(ra.inputs.roleDefinitionId), new RegExp(`${ACR_PULL}$`));
      assert.equal(
        ra.inputs.roleAssignmentName,
        roleAssignmentName(world.config.registryId, kubeletOf(world)!, ACR_PULL),
      );
      // AND the summary lists it once, with no command for the role the stack now declares
      assert.deepEqual(summary.declared, ["AcrPullAccess aks-prod-pull"]);
      assert.deepEqual(
        summary.commands.filter((c) => c.policy === "aks-acr-pull-role"),
        [],
      );
    });

    it("assigns Container Registry Repository Reader on an ABAC registry, read from the registry's record", async () => {
      const world = scenario("abac-registry");
      const cluster = await declaredCluster(world);
      await integrate(world, { cluster });
      const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
      assert.match(String(ra.inputs.roleDefinitionId), new RegExp(`${REPOSITORY_READER}$`));
    });

    it("refuses a service-principal cluster without principalObjectId, naming the setting", async () => {
      const world = scenario("kubelet-without-acrpull");
      const cluster = await declaredCluster(world, null);
      const { AksAcrIntegration } = await import("../../components/aks-acr-integration");
      const integration = new AksAcrIntegration("aks-prod", {
        cluster,
        registryId: world.config.registryId,
        reader: worldReader(world.resources),
      });
      await assert.rejects(
        valueOf(integration.summary),
        /aks-prod has no kubelet identity.*set principalObjectId/,
      );
      forgetDeliberateFailures();
    });

    it("says so where the identity already holds AcrPull under another assignment, which Azure would refuse to repeat", async () => {
      // GIVEN a cluster that already pulls, through an AcrPull assignment made outside the stack
      const world = scenario("healthy-public");
      const cluster = await declaredCluster(world);
      // WHEN the stack now declares it and gives it to the integration
      const { summary } = await integrate(world, { cluster });
      // THEN the note names the assignment, why Azure refuses the integration's, and the command
      const [note] = summary.notes.filter((n) => n.includes("RoleAssignmentExists"));
      assert.match(
        note,
        /'aks-prod' already holds AcrPull on 'contosoacr' through role assignment '[0-9a-f-]+'/,
      );
      assert.match(note, /az role assignment delete --ids \/subscriptions\/.*\/roleAssignments\//);
    });

    it("notes no rival where the identity holds no AcrPull yet", async () => {
      const world = scenario("kubelet-without-acrpull");
      const { summary } = await integrate(world, { cluster: await declaredCluster(world) });
      assert.deepEqual(summary.notes, []);
    });

    it("takes principalObjectId for a service-principal cluster", async () => {
      const world = scenario("kubelet-without-acrpull");
      const cluster = await declaredCluster(world, null);
      const sp = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
      await integrate(world, { cluster, principalObjectId: sp });
      const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
      assert.equal(ra.inputs.principalId, sp);
    });
  });

  it("is given clusterId or cluster, exactly one", async () => {
    const world = scenario("healthy-public");
    const { AksAcrIntegration } = await import("../../components/aks-acr-integration");
    const cluster = await declaredCluster(world);
    for (const args of [{}, { clusterId: world.config.clusterId, cluster }]) {
      assert.throws(
        () => new AksAcrIntegration("aks-prod", { registryId: world.config.registryId, ...args }),
        /give clusterId \(the ARM id of a cluster the stack does not declare\) or cluster \(one it declares\), not both/,
      );
    }
  });

  describe("with a pull secret", () => {
    /** The registry entry of the one pull Secret declared: what the kubelet logs in with. */
    const pullSecretLogin = () => {
      const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
      const config = JSON.parse(secretValue(secret.inputs.stringData)[".dockerconfigjson"]);
      return config.auths["contosoacr.azurecr.io"] as { username: string; password: string; auth: string };
    };

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

    it("puts a pull secret on clusterId's cluster, through a provider from its credentials, kept secret", async () => {
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

    it("uses the Kubernetes provider given in opts, and builds none", async () => {
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

    it("builds the pull secret from pullSecretCredentials instead of the admin user, and wants a namespace for them", async () => {
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
  });
});
