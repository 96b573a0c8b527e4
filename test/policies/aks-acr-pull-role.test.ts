import * as assert from "node:assert/strict";
import {
  application,
  controlPlanePrincipalId,
  idOf,
  kubeletObjectId,
  kubeletPull,
  managedCluster,
  registry,
  resourceGroup,
  ROLE,
  roleAssignment,
  roleDefinition,
  roleDefinitionId,
  servicePrincipal,
  SUBSCRIPTION,
  userAssignedIdentity,
  prop,
  observer,
} from "../fixtures/azure";
import { deployment } from "../fixtures/kubernetes";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  PolicyResourceInput,
  setPath,
  unknown,
  usePolicy,
  usePolicyPack,
  withProps,
  withUnknown,
  without,
} from "../harness";

const POLICY = "aks-acr-pull-role";
const SYMPTOM = "failed to fetch oauth token: unexpected status: 401 Unauthorized";

describe(POLICY, () => {
  const { pack, run } = usePolicy(POLICY);
  /** The pack for the advisory half, aks-acr-pull-role-unverified. */
  const harness = usePolicyPack();

  // The happy path every test mutates: a managed-identity cluster whose kubelet identity holds
  // AcrPull on the registry, declared as a program declares it.
  const acr = registry("contosoacr");
  const aks = managedCluster("aks-prod");
  const pull = kubeletPull(aks, acr);
  const healthy = [acr, aks, pull];

  it("is silent when the kubelet identity holds AcrPull on the registry", async () => {
    assertSilent(await run(healthy));
  });

  it("is silent with the registry declared under an API-versioned token", async () => {
    const versioned = { ...acr, type: "azure-native:containerregistry/v20251101:Registry" };
    const a = { ...pull, propertyDependencies: { principalId: [aks], scope: [versioned] } };
    assertSilent(await run([versioned, aks, a]));
  });

  describe("grants through an Entra group (Azure RBAC honours membership)", () => {
    const groupId = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
    const group: PolicyResourceInput = {
      type: "azuread:index/group:Group",
      name: "acr-pullers",
      props: { id: groupId, objectId: groupId, displayName: "acr-pullers", securityEnabled: true },
    };
    const toGroup = roleAssignment("pullers-acrpull", {
      scope: idOf(acr),
      principalId: groupId,
      principalType: "Group",
    });
    const member = (memberObjectId: string): PolicyResourceInput => ({
      type: "azuread:index/groupMember:GroupMember",
      name: `member-${memberObjectId.slice(0, 8)}`,
      props: { id: `${groupId}/member/${memberObjectId}`, groupObjectId: groupId, memberObjectId },
      propertyDependencies: { groupObjectId: [group] },
    });
    it("counts AcrPull granted to a group the stack shows the kubelet identity joining", async () => {
      assertSilent(await run([acr, aks, group, toGroup, member(kubeletObjectId(aks))]));
    });
    it("reports the group that the stack shows without the kubelet identity: the role is missing", async () => {
      assertViolation(
        await run([acr, aks, group, toGroup, member("0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f")]),
        "mandatory",
        aks,
        SYMPTOM,
      );
    });
    it("leaves a group whose members the stack does not show to the advisory half: unknown, not missing", async () => {
      assertNoMandatory(await run([acr, aks, toGroup]));
      assertViolation(
        await harness.run(`${POLICY}-unverified`, [acr, aks, toGroup]),
        "advisory",
        aks,
        "is a member of the Entra group that holds AcrPull on registry 'contosoacr'",
        `az ad group member check --group ${groupId} --member-id ${kubeletObjectId(aks)}`,
      );
    });
  });

  describe("anonymous pull", () => {
    const anonymous = (sku: "Basic" | "Standard" | "Premium") =>
      withProps(registry("contosoacr", { sku }), (p) => (p.anonymousPullEnabled = true));
    it("needs no pull role on a Standard or Premium registry that allows it", async () => {
      assertSilent(await run([anonymous("Standard"), aks]));
      assertSilent(await run([anonymous("Premium"), aks]));
    });
    it("still needs one on Basic, which refuses the setting", async () => {
      assertViolation(await run([anonymous("Basic"), aks]), "mandatory", aks, SYMPTOM);
    });
    it("says nothing mandatory while the setting is not known", async () => {
      assertNoMandatory(await run([withUnknown(anonymous("Standard"), "anonymousPullEnabled"), aks]));
    });
  });

  describe("a registry that refuses ARM-audience tokens (authenticate)", () => {
    const armOff = withProps(registry("contosoacr"), (p) => {
      p.policies = { azureADAuthenticationAsArmPolicy: { status: "disabled" } };
    });
    const granted = kubeletPull(aks, armOff);
    /** The cluster with every pool (and the control plane) on `version`. */
    const on = (version: string) =>
      withProps(managedCluster("aks-prod"), (p) => {
        p.kubernetesVersion = version;
        for (const pool of p.agentPoolProfiles as Record<string, unknown>[])
          pool.orchestratorVersion = version;
      });
    const pulls = (cluster: PolicyResourceInput) => [armOff, cluster, kubeletPull(cluster, armOff)];

    it("is silent on 1.33 and later: the credential provider asks for ACR-audience tokens", async () => {
      assertSilent(await run([armOff, aks, granted]));
      assertSilent(await harness.run(`${POLICY}-unverified`, pulls(on("1.34.1"))));
    });
    it("reports pools before 1.30, whose in-tree provider asks for ARM-audience tokens, though AcrPull is held", async () => {
      assertViolation(
        await run(pulls(on("1.29.15"))),
        "mandatory",
        aks,
        SYMPTOM,
        "registry 'contosoacr' refuses ARM-audience tokens",
        "'system' (1.29.15)",
        "az aks upgrade -g rg-aks -n aks-prod",
        "az acr config authentication-as-arm update -r contosoacr --status enabled",
      );
    });
    it("judges each pool by its own version: one old pool is enough", async () => {
      const mixed = withProps(managedCluster("aks-prod"), (p) => {
        const [system] = p.agentPoolProfiles as Record<string, unknown>[];
        p.agentPoolProfiles = [system, { ...system, name: "legacy", orchestratorVersion: "1.28" }];
      });
      const d = assertViolation(await run(pulls(mixed)), "mandatory", aks, "'legacy' (1.28)");
      assert.ok(!d.message.includes("'system'"), d.message);
    });
    it("leaves 1.30 to 1.32 to the advisory half: the node image's provider patch decides", async () => {
      assertNoMandatory(await run(pulls(on("1.31.9"))));
      assertViolation(
        await harness.run(`${POLICY}-unverified`, pulls(on("1.31.9"))),
        "advisory",
        aks,
        "March 2025",
        "not certain",
      );
    });
    it("is silent when the registry allows anonymous pull: no token is exchanged", async () => {
      const open = withProps(armOff, (p) => {
        p.anonymousPullEnabled = true;
        p.sku = { name: "Standard" };
      });
      assertSilent(await run([open, on("1.29.15")]));
    });
    it("says nothing mandatory while the setting or the versions are not known", async () => {
      assertNoMandatory(
        await run([withUnknown(armOff, "policies"), on("1.29.15"), kubeletPull(on("1.29.15"), armOff)]),
      );
      assertNoMandatory(await run(pulls(withUnknown(on("1.29.15"), "agentPoolProfiles"))));
    });
  });

  describe("a registry in another Microsoft Entra tenant (authorize)", () => {
    const PARTNER = "0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a";
    /** The registry declared through a provider for another tenant, as a stack that reaches one declares it. */
    const inTenant = (
      tenantId: string,
      r: PolicyResourceInput = registry("contosoacr"),
    ): PolicyResourceInput => ({
      ...r,
      provider: {
        type: "pulumi:providers:azure-native",
        name: `tenant-${tenantId.slice(0, 8)}`,
        props: { tenantId, subscriptionId: SUBSCRIPTION },
      },
    });
    const partnerAcr = inTenant(PARTNER);

    it("reports the kubelet managed identity, which cannot get a token there, whatever role it holds", async () => {
      const d = assertViolation(
        await run([partnerAcr, aks, kubeletPull(aks, partnerAcr)]),
        "mandatory",
        aks,
        SYMPTOM,
        `registry 'contosoacr' is in Microsoft Entra tenant ${PARTNER}`,
        "a managed identity cannot get a token for another tenant",
        "az acr token create -r contosoacr",
        "AcrImagePullSecret",
      );
      assert.ok(!d.message.includes("--attach-acr"), d.message);
    });
    it("is silent when the provider names the cluster's own tenant", async () => {
      const ours = inTenant(String(prop(aks, "identity", "tenantId")));
      assertSilent(await run([ours, aks, kubeletPull(aks, ours)]));
    });
    it("says nothing mandatory for a service-principal cluster: a multi-tenant application may pull", async () => {
      const sp = servicePrincipal("sp-aks-prod");
      const home = String(prop(aks, "identity", "tenantId"));
      const spCluster = inTenant(home, {
        ...managedCluster("aks-prod", { servicePrincipalClientId: prop(sp, "clientId") }),
        propertyDependencies: { servicePrincipalProfile: [sp] },
      });
      assertNoMandatory(await run([partnerAcr, spCluster, sp]));
      // The same cluster and registry in one tenant: the missing role is certain.
      assertViolation(await run([inTenant(home), spCluster, sp]), "mandatory", spCluster, SYMPTOM);
    });
    it("is silent when the registry allows anonymous pull", async () => {
      const open = inTenant(
        PARTNER,
        withProps(registry("contosoacr", { sku: "Standard" }), (p) => (p.anonymousPullEnabled = true)),
      );
      assertSilent(await run([open, aks]));
    });
  });

  describe("when the pull role is missing", () => {
    it("reports a missing AcrPull for the kubelet identity on the cluster, with the symptom and the fix", async () => {
      const d = assertViolation(
        await run([acr, aks]),
        "mandatory",
        aks,
        SYMPTOM,
        "ImagePullBackOff",
        "cluster 'aks-prod'",
        "contosoacr.azurecr.io",
        "registry 'contosoacr'",
        `kubelet identity (object id ${kubeletObjectId(aks)})`,
        "Microsoft.ContainerRegistry/registries/pull/read",
        "AcrPullAccess",
        `az aks update -g rg-aks -n aks-prod --attach-acr ${idOf(acr)}`,
        `az role assignment create --assignee-object-id ${kubeletObjectId(aks)} --assignee-principal-type ServicePrincipal --role "AcrPull" --scope ${idOf(acr)}`,
      );
      assert.ok(!d.message.includes("undefined"), d.message);
    });

    it("reports each registry the cluster's workloads pull from that it lacks a pull role on", async () => {
      const second = registry("fabrikamacr");
      const app = deployment("web", { containers: [{ image: "fabrikamacr.azurecr.io/web:1.4.2" }] });
      const diags = await run([...healthy, second, app]);
      assertViolation(diags, "mandatory", aks, "registry 'fabrikamacr'", "fabrikamacr.azurecr.io");
    });

    it("reports a pull role assigned on another registry than the one workloads pull from", async () => {
      const other = registry("otheracr");
      const misplaced = kubeletPull(aks, other);
      const app = deployment("web", { containers: [{ image: "contosoacr.azurecr.io/web:1.4.2" }] });
      assertViolation(
        await run([acr, other, aks, misplaced, app]),
        "mandatory",
        aks,
        "registry 'contosoacr'",
      );
    });

    it("reports a pull role assigned on another resource group", async () => {
      const elsewhere = resourceGroup("rg-other");
      assertViolation(
        await run([acr, aks, elsewhere, kubeletPull(aks, elsewhere)]),
        "mandatory",
        aks,
        SYMPTOM,
      );
    });

    it("reports a pull role assigned in another subscription", async () => {
      const a = withProps(pull, (p) => {
        p.scope = `/subscriptions/0a1b2c3d-0000-4000-8000-000000000000`;
      });
      assertViolation(
        await run([acr, aks, { ...a, propertyDependencies: { principalId: [aks] } }]),
        "mandatory",
        aks,
      );
    });

    it("reports roles that do not grant pull, naming the role the identity holds", async () => {
      const del = kubeletPull(aks, acr, ROLE.acrDelete, "acrdelete");
      assertViolation(await run([acr, aks, del]), "mandatory", aks, "holds AcrDelete", "'acrdelete'");
    });

    it("reports a role the pack does not know, saying so", async () => {
      const net = kubeletPull(aks, acr, ROLE.networkContributor, "network");
      assertViolation(
        await run([acr, aks, net]),
        "mandatory",
        aks,
        `role ${ROLE.networkContributor}`,
        "neither a built-in pull role nor defined in this stack",
      );
    });
  });

  describe("trust: observed records never override what the stack declares", () => {
    /** An AcrPull assignment as ARM returns it, granted outside the stack (az aks update --attach-acr). */
    const outsideGrant = {
      id: `${idOf(acr)}/providers/Microsoft.Authorization/roleAssignments/5b1f0c3e-9a2d-4e7b-8c6f-1d0e9a8b7c6d`,
      name: "5b1f0c3e-9a2d-4e7b-8c6f-1d0e9a8b7c6d",
      type: "Microsoft.Authorization/roleAssignments",
      properties: {
        principalId: kubeletObjectId(aks),
        principalType: "ServicePrincipal",
        roleDefinitionId: roleDefinitionId(ROLE.acrPull),
        scope: idOf(acr),
      },
    };

    /** The cluster and the registry as an observer records them (ARM JSON), the registry in `mode`. */
    const observedPair = (mode?: string): Record<string, unknown>[] => [
      {
        id: prop(acr, "id"),
        name: "contosoacr",
        type: "Microsoft.ContainerRegistry/registries",
        location: "westeurope",
        properties: { loginServer: "contosoacr.azurecr.io", ...(mode ? { roleAssignmentMode: mode } : {}) },
      },
      {
        id: prop(aks, "id"),
        name: "aks-prod",
        type: "Microsoft.ContainerService/managedClusters",
        location: "westeurope",
        identity: aks.props.identity,
        properties: {
          identityProfile: aks.props.identityProfile,
          agentPoolProfiles: aks.props.agentPoolProfiles,
        },
      },
    ];

    it("keeps a missing pull role mandatory for a cluster and registry the stack declares, granted outside it", async () => {
      // The stack owns that wiring: the message says where the grant is and how to adopt it.
      assertViolation(
        await run([acr, aks, observer([outsideGrant])]),
        "mandatory",
        aks,
        "only through a pull role granted outside this stack",
        outsideGrant.id,
        `pulumi import azure-native:authorization:RoleAssignment <name> ${outsideGrant.id}`,
      );
    });

    it("cannot be silenced by a hand-made component of the observer's type", async () => {
      const fake = { ...observer([outsideGrant]), name: "not-really-an-observer" };
      assertViolation(await run([acr, aks, fake]), "mandatory", aks, "granted outside this stack");
    });

    it("counts an observed grant where the stack does not declare the pair (the program's observer)", async () => {
      // The cluster and registry themselves are observed: nothing here is the stack's own wiring.
      const observedOnly = observer([...observedPair("LegacyRegistryPermissions"), outsideGrant]);
      assertSilent(await run([observedOnly]));
      // AND without that grant, the observed pair is reported, on the observer
      const observedBare = observer(
        (observedOnly.props.observed as Record<string, unknown>[]).filter((r) => r !== outsideGrant),
      );
      assertViolation(await run([observedBare]), "mandatory", observedBare, "will fail with");
    });

    it("judges a declared registry by the mode its observed record shows, which azure-native cannot declare", async () => {
      // GIVEN the stack declares the registry (no roleAssignmentMode: azure-native has no such input)
      // and its kubelet AcrPull, and an observer read the registry switched to ABAC outside the stack
      const [observedRegistry] = observedPair("AbacRepositoryPermissions");
      const o = observer([observedRegistry]);
      assertViolation(
        await run([acr, aks, kubeletPull(aks, acr), o]),
        "mandatory",
        aks,
        "AcrPull and AcrPush are not honoured",
      );
      // AND recorded in RBAC mode, or with no observer, the declared wiring is enough
      assertSilent(
        await run([
          acr,
          aks,
          kubeletPull(aks, acr),
          observer(observedPair("LegacyRegistryPermissions").slice(0, 1)),
        ]),
      );
      assertSilent(await run([acr, aks, kubeletPull(aks, acr)]));
    });

    describe("a registry record that does not say its roleAssignmentMode (read before 2025-05-01-preview)", () => {
      const records = (withGrant: boolean, mode?: string) =>
        observer([...observedPair(mode), ...(withGrant ? [outsideGrant] : [])]);

      it("is not assumed RBAC: AcrPull alone is advisory (it fails if the registry is in ABAC mode), never mandatory", async () => {
        const o = records(true);
        assertSilent(await run([o]));
        assertViolation(
          await harness.run(`${POLICY}-unverified`, [o]),
          "advisory",
          o,
          "if registry 'contosoacr' uses ABAC repository permissions",
          "does not say its roleAssignmentMode",
          "az acr show --ids",
          "Container Registry Repository Reader",
        );
        // AND the same record saying RBAC is silent, and saying ABAC is certain
        assertSilent(await run([records(true, "LegacyRegistryPermissions")]));
        assertViolation(
          await run([records(true, "AbacRepositoryPermissions")]),
          "mandatory",
          records(true, "AbacRepositoryPermissions"),
          "AcrPull and AcrPush are not honoured",
        );
      });

      it("is certain when no role the identity holds pulls in either mode", async () => {
        const o = records(false);
        assertViolation(
          await run([o]),
          "mandatory",
          o,
          "will fail with",
          "does not say its roleAssignmentMode",
        );
      });
    });
  });

  describe("which cluster pulls from which registry", () => {
    const dev = managedCluster("aks-dev");
    const devAcr = registry("contosodevacr");

    it("leaves a guessed pair to aks-acr-pull-role-unverified, once per cluster, naming every registry", async () => {
      // GIVEN one cluster, two registries, and nothing that says which one it pulls from
      const stack = [acr, registry("fabrikamacr"), aks];
      // THEN nothing mandatory: the pull is a guess
      assertSilent(await run(stack));
      // AND the advisory half says so once, with what would make it certain
      assertViolation(
        await harness.run(`${POLICY}-unverified`, stack),
        "advisory",
        aks,
        "will fail with",
        "if they pull from 'contosoacr', 'fabrikamacr'",
        "so this is not certain",
        "`pulls` config",
      );
    });

    it("never guesses clusters x registries from workloads whose cluster it cannot tell", async () => {
      // GIVEN three teams, each a cluster with AcrPull on its own registry, workloads on the default provider
      const teams = [0, 1, 2].map((t) => {
        const c = managedCluster(`aks-team${t}`);
        const r = registry(`acrteam${t}`);
        const w = deployment(`team${t}-web`, { containers: [{ image: `acrteam${t}.azurecr.io/web:1.0` }] });
        return [c, r, kubeletPull(c, r, ROLE.acrPull, `pull-team${t}`), w];
      });
      // THEN each registry is its team's: nothing is reported, not even as a guess
      assertSilent(await run(teams.flat()));
      assertSilent(await harness.run(`${POLICY}-unverified`, teams.flat()));
      // AND a registry no team claims is a guess, told once per cluster
      const stray = deployment("stray", { containers: [{ image: "acrshared.azurecr.io/tool:1.0" }] });
      const diags = await harness.run(`${POLICY}-unverified`, [
        ...teams.flat(),
        registry("acrshared"),
        stray,
      ]);
      assert.equal(diags.length, 3, diags.map((d) => d.message).join("\n"));
      assert.ok(diags.every((d) => d.enforcementLevel === "advisory" && d.message.includes("'acrshared'")));
    });

    it("judges the stack's only cluster and only registry for certain: the seeds' core case", async () => {
      assertViolation(await run([acr, aks]), "mandatory", aks, "registry 'contosoacr'", "pulumi import");
    });

    it("does not pair a cluster whose workloads, placed on it for certain, all pull from elsewhere", async () => {
      const provider = {
        type: "pulumi:providers:kubernetes",
        name: "aks-dev-k8s",
        props: { kubeconfig: "(secret)" },
        propertyDependencies: { kubeconfig: [dev] },
      };
      const web = {
        ...deployment("web", { containers: [{ image: "docker.io/library/nginx:1.27" }] }),
        provider,
      };
      const stack = [acr, aks, pull, dev, provider, web];
      assertSilent(await run(stack));
      assertSilent(await harness.run(`${POLICY}-unverified`, stack));
    });

    it("does not judge a registry that neither the cluster's workloads nor its role assignments name", async () => {
      // GIVEN dev and prod clusters, each with its own registry and pull role
      const stack = [acr, devAcr, aks, dev, pull, kubeletPull(dev, devAcr, ROLE.acrPull, "dev-pull")];
      // THEN neither cluster is reported for the other's registry
      assertSilent(await run(stack));
    });

    it("ties workloads to the cluster their Kubernetes provider's kubeconfig comes from", async () => {
      const provider = {
        type: "pulumi:providers:kubernetes",
        name: "aks-dev-k8s",
        props: { kubeconfig: "(secret)" },
        propertyDependencies: { kubeconfig: [dev] },
      };
      const app = {
        ...deployment("api", { containers: [{ image: "contosoacr.azurecr.io/api:2.0.1" }] }),
        provider,
      };
      // The dev cluster's workload pulls from the prod registry, where only prod's kubelet holds AcrPull.
      const diags = await run([
        acr,
        devAcr,
        aks,
        dev,
        pull,
        kubeletPull(dev, devAcr, ROLE.acrPull, "dev-pull"),
        provider,
        app,
      ]);
      assertViolation(diags, "mandatory", dev, "cluster 'aks-dev'", "registry 'contosoacr'");
    });

    it("judges exactly the pulls config declares", async () => {
      const stack = [acr, devAcr, aks, dev, pull];
      assertViolation(
        await run(stack, { pulls: [{ cluster: "aks-dev", registry: "contosoacr" }] }),
        "mandatory",
        dev,
        "registry 'contosoacr'",
      );
      assertSilent(await run(stack, { pulls: [{ cluster: "aks-prod", registry: "contosoacr" }] }));
    });

    it("fails to configure pulls that are not cluster and registry names", async () => {
      await assert.rejects(
        pack().configure({ [POLICY]: { pulls: [{ cluster: "aks-dev" }] } }),
        /pulls\[0\].*lacks 'registry'/,
      );
    });
  });

  describe("scopes above the registry", () => {
    it("is silent with AcrPull at the registry's resource group", async () => {
      assertSilent(await run([acr, aks, kubeletPull(aks, resourceGroup("rg-aks"))]));
    });

    it("is silent with AcrPull at the subscription", async () => {
      const a = roleAssignment("sub", {
        principalId: kubeletObjectId(aks),
        scope: `/subscriptions/${SUBSCRIPTION}`,
      });
      assertSilent(await run([acr, aks, a]));
    });

    it("is silent with AcrPull at a management group", async () => {
      const a = roleAssignment("mg", {
        principalId: kubeletObjectId(aks),
        scope: "/providers/Microsoft.Management/managementGroups/platform",
      });
      assertSilent(await run([acr, aks, a]));
    });

    it("compares ids case-insensitively, as ARM does", async () => {
      const a = roleAssignment("upper", {
        principalId: kubeletObjectId(aks).toUpperCase(),
        scope: idOf(acr).toUpperCase(),
      });
      assertSilent(await run([acr, aks, a]));
    });

    it("matches the registry by resource group and name when its outputs carry no id", async () => {
      const noId = withProps(without(acr, "id"), (p) => (p.resourceGroupName = "rg-aks"));
      const a = roleAssignment("literal", { principalId: kubeletObjectId(aks), scope: idOf(acr) });
      assertSilent(await run([noId, aks, a]));
      const wrongGroup = withProps(noId, (p) => (p.resourceGroupName = "rg-elsewhere"));
      assertViolation(await run([wrongGroup, aks, a]), "mandatory", aks, SYMPTOM);
    });
  });

  describe("built-in roles", () => {
    for (const [role, guid] of Object.entries({
      AcrPush: ROLE.acrPush,
      Owner: ROLE.owner,
      Contributor: ROLE.contributor,
      Reader: ROLE.reader,
      "Container Registry Data Importer and Data Reader": ROLE.dataImporter,
      "Container Registry Repository Reader": ROLE.repositoryReader,
    })) {
      it(`is silent when the kubelet identity holds ${role}`, async () => {
        assertSilent(await run([acr, aks, kubeletPull(aks, acr, guid)]));
      });
    }

    it("accepts a role definition id given as a bare GUID or a tenant-level id", async () => {
      for (const rid of [
        ROLE.acrPull,
        `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.acrPull}`,
      ]) {
        const a = withProps(pull, (p) => (p.roleDefinitionId = rid));
        assertSilent(await run([acr, aks, a]));
      }
    });
  });

  describe("custom roles", () => {
    const link = (def: PolicyResourceInput) => ({
      ...roleAssignment("custom", {
        principalId: kubeletObjectId(aks),
        scope: idOf(acr),
        roleDefinitionId: prop(def, "id"),
      }),
      propertyDependencies: { principalId: [aks], scope: [acr], roleDefinitionId: [def] },
    });

    it("is silent with a custom role whose actions cover the pull action", async () => {
      for (const actions of [
        ["Microsoft.ContainerRegistry/registries/pull/read"],
        ["Microsoft.ContainerRegistry/*"],
        ["*/read"],
        ["microsoft.containerregistry/registries/*/read"],
      ]) {
        const def = roleDefinition("Image Puller", { actions });
        assertSilent(await run([acr, aks, def, link(def)]));
      }
    });

    it("finds a custom role by GUID when the assignment has no property dependency on it", async () => {
      const def = roleDefinition("Image Puller", {
        actions: ["Microsoft.ContainerRegistry/registries/pull/read"],
      });
      const a = roleAssignment("custom", {
        principalId: kubeletObjectId(aks),
        scope: idOf(acr),
        roleDefinitionId: prop(def, "id"),
      });
      assertSilent(await run([acr, aks, def, a]));
    });

    it("reports a custom role whose notActions remove the pull action", async () => {
      const def = roleDefinition("Everything But Pull", {
        actions: ["*"],
        notActions: ["Microsoft.ContainerRegistry/registries/pull/read"],
      });
      assertViolation(
        await run([acr, aks, def, link(def)]),
        "mandatory",
        aks,
        "holds custom role 'Everything But Pull'",
      );
    });

    it("honours custom roles defined outside the stack when config names them", async () => {
      const external = "5d3c1a2b-9e8f-4a7b-8c6d-1e2f3a4b5c6d";
      const a = withProps(pull, (p) => (p.roleDefinitionId = roleDefinitionId(external)));
      assertViolation(await run([acr, aks, a]), "mandatory", aks, external);
      assertSilent(await run([acr, aks, a], { pullRoleDefinitionIds: [external] }));
    });
  });

  describe("a registry in ABAC mode", () => {
    const abac = registry("contosoacr", { roleAssignmentMode: "AbacRepositoryPermissions" });

    it("reports AcrPull, which ABAC registries do not honour, and prescribes Repository Reader", async () => {
      assertViolation(
        await run([abac, aks, kubeletPull(aks, abac)]),
        "mandatory",
        aks,
        SYMPTOM,
        "roleAssignmentMode: AbacRepositoryPermissions",
        "holds AcrPull",
        "repositories/content/read",
        '--role "Container Registry Repository Reader"',
      );
    });

    it("reports Owner, whose actions carry no data action", async () => {
      assertViolation(
        await run([abac, aks, kubeletPull(aks, abac, ROLE.owner)]),
        "mandatory",
        aks,
        "holds Owner",
      );
    });

    it("is silent with Container Registry Repository Reader or Writer", async () => {
      assertSilent(await run([abac, aks, kubeletPull(aks, abac, ROLE.repositoryReader)]));
      assertSilent(await run([abac, aks, kubeletPull(aks, abac, ROLE.repositoryWriter)]));
    });

    it("is silent with a custom role granting the repository content data action", async () => {
      const def = roleDefinition("Repo Reader", {
        dataActions: ["Microsoft.ContainerRegistry/registries/repositories/content/read"],
      });
      const a = roleAssignment("custom", {
        principalId: kubeletObjectId(aks),
        scope: idOf(abac),
        roleDefinitionId: prop(def, "id"),
      });
      assertSilent(await run([abac, aks, def, a]));
    });
  });

  describe("the wrong principal", () => {
    it("names the control-plane identity when it holds AcrPull instead of the kubelet identity", async () => {
      const a = {
        ...roleAssignment("acrpull", { principalId: controlPlanePrincipalId(aks), scope: idOf(acr) }),
        propertyDependencies: { principalId: [aks], scope: [acr] },
      };
      assertViolation(
        await run([acr, aks, a]),
        "mandatory",
        aks,
        "AcrPull on the registry is held by the cluster's control-plane (system-assigned) identity, which the kubelet does not pull with",
        "'acrpull'",
      );
    });

    it("names the kubelet identity's client id used where its object id belongs", async () => {
      const clientId = prop(aks, "identityProfile", "kubeletidentity", "clientId");
      const a = roleAssignment("acrpull", { principalId: clientId, scope: idOf(acr) });
      assertViolation(
        await run([acr, aks, a]),
        "mandatory",
        aks,
        `held by principal ${clientId}, the kubelet identity's client id: a role assignment needs its object id`,
      );
    });

    it("names another cluster's kubelet identity holding the pull role", async () => {
      const dev = managedCluster("aks-dev");
      // (with two clusters, config says which one pulls: otherwise the pair would be a guess)
      assertViolation(
        await run([acr, aks, dev, kubeletPull(dev, acr, ROLE.acrPull, "dev-pull")], {
          pulls: [{ cluster: "aks-prod", registry: "contosoacr" }],
        }),
        "mandatory",
        aks,
        "AcrPull on the registry is held by the kubelet identity of another cluster, 'aks-dev'",
      );
    });

    it("names an unrelated principal holding the only pull role", async () => {
      const stranger = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f";
      const a = roleAssignment("ci", { principalId: stranger, scope: idOf(acr) });
      assertViolation(
        await run([acr, aks, a]),
        "mandatory",
        aks,
        `held by principal ${stranger}, which is not the cluster's kubelet identity`,
      );
    });
  });

  describe("a kubelet identity the stack brings", () => {
    const uai = userAssignedIdentity("id-aks-kubelet");
    const cluster = withProps(aks, (p) => {
      setPath(p, "identityProfile.kubeletidentity", {
        resourceId: idOf(uai),
        clientId: prop(uai, "clientId"),
        objectId: prop(uai, "principalId"),
      });
    });
    const linkedCluster = { ...cluster, propertyDependencies: { identityProfile: [uai] } };

    it("is silent when the assignment takes its principal from the identity", async () => {
      const a = {
        ...roleAssignment("acrpull", { principalId: prop(uai, "principalId"), scope: idOf(acr) }),
        propertyDependencies: { principalId: [uai], scope: [acr] },
      };
      assertSilent(await run([acr, uai, linkedCluster, a]));
    });

    it("reports an assignment for another managed identity", async () => {
      const other = userAssignedIdentity("id-other");
      const a = {
        ...roleAssignment("acrpull", { principalId: prop(other, "principalId"), scope: idOf(acr) }),
        propertyDependencies: { principalId: [other], scope: [acr] },
      };
      assertViolation(await run([acr, uai, other, linkedCluster, a]), "mandatory", aks, SYMPTOM);
    });
  });

  describe("a service-principal cluster", () => {
    const sp = servicePrincipal("sp-aks-prod");
    const spCluster = {
      ...managedCluster("aks-prod", { servicePrincipalClientId: prop(sp, "clientId") }),
      propertyDependencies: { servicePrincipalProfile: [sp] },
    };
    const spPull = (principal: PolicyResourceInput) => ({
      ...roleAssignment("acrpull", { principalId: prop(principal, "objectId"), scope: idOf(acr) }),
      propertyDependencies: { principalId: [principal], scope: [acr] },
    });

    it("is silent when the cluster's service principal holds AcrPull", async () => {
      assertSilent(await run([acr, sp, spCluster, spPull(sp)]));
    });

    it("finds the service principal by client id without a property dependency", async () => {
      const unlinked = { ...spCluster, propertyDependencies: {} };
      const a = roleAssignment("acrpull", { principalId: prop(sp, "objectId"), scope: idOf(acr) });
      assertSilent(await run([acr, sp, unlinked, a]));
    });

    it("reports AcrPull left on a rotated-out service principal", async () => {
      const old = servicePrincipal("sp-aks-prod-2024");
      assertViolation(
        await run([acr, sp, old, spCluster, spPull(old)]),
        "mandatory",
        spCluster,
        SYMPTOM,
        "service principal 'sp-aks-prod'",
        "held by service principal 'sp-aks-prod-2024', which is not the cluster's current service principal (rotated out?)",
        `--assignee-object-id ${prop(sp, "objectId")}`,
      );
    });

    it("names an application's object id used instead of its service principal's", async () => {
      const app = application("sp-aks-prod");
      const a = {
        ...roleAssignment("acrpull", { principalId: prop(app, "objectId"), scope: idOf(acr) }),
        propertyDependencies: { principalId: [app], scope: [acr] },
      };
      assertViolation(
        await run([acr, app, sp, spCluster, a]),
        "mandatory",
        spCluster,
        "held by application 'sp-aks-prod' (an application's object id, not its service principal's)",
      );
    });

    it("stays silent when the stack does not declare the cluster's service principal", async () => {
      const external = managedCluster("aks-prod", {
        servicePrincipalClientId: "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
      });
      assertSilent(await run([acr, external]));
    });
  });

  describe("during preview", () => {
    it("reports nothing mandatory for a new cluster whose kubelet identity does not exist yet", async () => {
      const newCluster = withUnknown(
        aks,
        "id",
        "identityProfile.kubeletidentity.objectId",
        "identity.principalId",
      );
      const diags = await run([acr, newCluster, withUnknown(pull, "principalId", "id", "name")]);
      assertNoMandatory(diags);
      assert.deepEqual(
        diags.map((d) => d.enforcementLevel),
        ["advisory"],
      );
      assert.match(diags[0].message, /during preview/);
    });

    it("reports nothing mandatory when a new cluster has no pull role yet", async () => {
      assertNoMandatory(await run([acr, withUnknown(aks, "identityProfile.kubeletidentity.objectId")]));
    });

    it("reports nothing mandatory when a new registry has no pull role yet", async () => {
      assertNoMandatory(await run([withUnknown(acr, "id", "loginServer"), aks]));
    });

    it("reports nothing mandatory when a new cluster with a known kubelet identity has no pull role yet", async () => {
      assertNoMandatory(await run([acr, withUnknown(aks, "id", "fqdn")]));
    });

    it("reports nothing mandatory when the registry is new", async () => {
      const newAcr = withUnknown(acr, "id", "name", "loginServer");
      assertNoMandatory(await run([newAcr, aks, withUnknown(pull, "scope")]));
    });

    it("reports nothing mandatory when a custom role is new", async () => {
      const def = withUnknown(roleDefinition("Image Puller", { actions: ["*/read"] }), "id", "name");
      const a = {
        ...withUnknown(pull, "roleDefinitionId"),
        propertyDependencies: { principalId: [aks], scope: [acr], roleDefinitionId: [def] },
      };
      assertSilent(await run([acr, aks, def, a]));
      const unknownPerms = withUnknown(def, "permissions");
      assertNoMandatory(
        await run([
          acr,
          aks,
          unknownPerms,
          { ...a, propertyDependencies: { ...a.propertyDependencies, roleDefinitionId: [unknownPerms] } },
        ]),
      );
    });

    it("reports nothing mandatory when the registry's role assignment mode is not known yet", async () => {
      assertNoMandatory(await run([withUnknown(acr, "roleAssignmentMode"), aks, pull]));
    });

    it("keeps a known violation on one cluster while another waits for preview", async () => {
      const known = managedCluster("aks-known");
      const waiting = withUnknown(managedCluster("aks-new"), "identityProfile.kubeletidentity.objectId");
      const diags = await run([acr, known, waiting], {
        pulls: [
          { cluster: "aks-known", registry: "contosoacr" },
          { cluster: "aks-new", registry: "contosoacr" },
        ],
      });
      assert.deepEqual(
        diags.map((d) => [d.enforcementLevel, d.urn.endsWith("::aks-known")]),
        [
          ["mandatory", true],
          ["advisory", false],
        ],
      );
    });

    it("reports nothing mandatory for any broken variant with every computed output unknown", async () => {
      const computed = [
        "id",
        "name",
        "loginServer",
        "principalId",
        "identity.principalId",
        "identityProfile.kubeletidentity.objectId",
        "identityProfile.kubeletidentity.clientId",
        "objectId",
      ];
      const variants: PolicyResourceInput[][] = [
        [acr, aks],
        [acr, aks, kubeletPull(aks, acr, ROLE.acrDelete)],
        [registry("contosoacr", { roleAssignmentMode: "AbacRepositoryPermissions" }), aks, pull],
        [acr, aks, roleAssignment("ci", { principalId: controlPlanePrincipalId(aks), scope: idOf(acr) })],
      ];
      for (const variant of variants) {
        const preview = variant.map((r) =>
          withProps(r, (p) => {
            for (const path of computed) {
              const keys = path.split(".");
              let cur: Record<string, unknown> | undefined = p;
              for (const k of keys.slice(0, -1)) cur = cur?.[k] as Record<string, unknown> | undefined;
              if (cur && keys[keys.length - 1] in cur) cur[keys[keys.length - 1]] = unknown();
            }
          }),
        );
        assertNoMandatory(await run(preview));
      }
    });
  });
});
