import { AzureReader } from "../components/azure/reader";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ProgramConfigError, readProgramConfig } from "../core/plan/program-config";
import { roleAssignmentName } from "../core/plan/uuid";
import { worldReader } from "../offline/world-reader";
import { loadWorld } from "../offline/world";
import { ArmRecord } from "../core/stack/arm-types";
import { REPO_ROOT } from "./harness";
import { forgetDeliberateFailures, usePulumiMocks, valueOf } from "./harness/mocks";
import { commandLine, PolicyCommand } from "../core/plan/integration";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
type Program = (get?: (key: string) => string | undefined, reader?: AzureReader) => Record<string, unknown>;

describe("the program (index.ts)", () => {
  const mocks = usePulumiMocks();
  let program: Program;
  before(async () => {
    program = (await import("../index")).default as Program;
  });

  /** Runs the program against recorded resources; resolves with its outputs once every fix is registered. */
  async function runOn(resources: ArmRecord[], config: Record<string, string>) {
    const outputs = program((k) => config[k], worldReader(resources));
    const declared = (await valueOf(outputs.declared as never)) as string[];
    const commands = ((await valueOf(outputs.commands as never)) as PolicyCommand[]).map(commandLine);
    // The summary resolves once every resource the program declared is registered.
    const notes = (await valueOf(outputs.notes as never)) as string[];
    return { declared, commands, notes };
  }

  it("declares the three fixes of the broken hub-and-spoke scenario, with the inputs that fix them", async () => {
    const world = scenario("broken-hub-spoke");
    const { declared, commands } = await runOn(world.resources, world.config);
    assert.deepEqual(declared, [
      "AcrPullAccess aks-prod-pull",
      "PrivateRegistryDns aks-prod-dns",
      "VnetPeeringPair aks-prod-peering-vnet-aks-vnet-hub",
    ]);
    assert.deepEqual(commands, []);
    const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
    assert.equal(ra.inputs.scope, world.config.registryId);
    assert.equal(
      ra.inputs.principalId,
      "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b",
      "the kubelet identity, not the control plane",
    );
    assert.equal(ra.inputs.principalType, "ServicePrincipal");
    const [link] = mocks.ofType("azure-native:privatedns:VirtualNetworkLink");
    assert.deepEqual(link.inputs.virtualNetwork, {
      id: world.resources.find((r) => r.name === "vnet-aks")!.id,
    });
    assert.equal(link.inputs.privateZoneName, "privatelink.azurecr.io");
    const peerings = mocks.ofType("azure-native:network:VirtualNetworkPeering");
    assert.equal(peerings.length, 1, "only the missing side: the hub's own peering is the hub team's");
    assert.equal(peerings[0].inputs.virtualNetworkName, "vnet-aks");
    assert.equal(peerings[0].inputs.virtualNetworkPeeringName, "aks-acr-guard-to-vnet-hub");
  });

  it("declares nothing on a healthy environment", async () => {
    for (const name of ["healthy-public", "healthy-hub-spoke"]) {
      const world = scenario(name);
      const { declared, commands } = await runOn(world.resources, world.config);
      assert.deepEqual([declared, commands], [[], []], name);
      assert.deepEqual(
        mocks.resources.map((r) => r.type),
        ["aks-acr-guard:index:AksAcrIntegration", "aks-acr-guard:index:AksAcrObserver"].flatMap((t) =>
          mocks.resources.filter((r) => r.type === t).map(() => t),
        ),
      );
      mocks.resources.length = 0;
    }
  });

  it("declares nothing where pulls work: A records written by hand, or a public path beside an unlinked zone", async () => {
    // A zone group would only rewrite records that already answer; a link would only move the pull
    // from a public path that admits the cluster to the private one: nothing reported either.
    const hub = scenario("healthy-hub-spoke");
    const byHand = hub.resources.filter((r) => !r.type.toLowerCase().endsWith("/privatednszonegroups"));
    const open = scenario("private-endpoint-beside-open-public");
    for (const [name, resources, config] of [
      ["records by hand", byHand, hub.config],
      ["open public path", open.resources, open.config],
    ] as const) {
      const { declared, commands } = await runOn(resources, config);
      assert.deepEqual([declared, commands], [[], []], name);
      mocks.resources.length = 0;
    }
  });

  it("declares identical inputs on a second run, once the first run's fixes exist (no churn)", async () => {
    // GIVEN the first run on the broken hub-and-spoke environment
    const world = scenario("broken-hub-spoke");
    await runOn(world.resources, world.config);
    const first = mocks.resources.filter((r) => !r.type.startsWith("aks-acr-guard:"));
    // WHEN its declarations are applied: each now exists in Azure, as ARM returns it
    const applied: ArmRecord[] = first.map((r) => {
      const i = r.inputs;
      if (r.type.endsWith("RoleAssignment")) {
        return {
          id: `${String(i.scope)}/providers/Microsoft.Authorization/roleAssignments/${String(i.roleAssignmentName)}`,
          name: String(i.roleAssignmentName),
          type: "Microsoft.Authorization/roleAssignments",
          properties: { scope: i.scope, principalId: i.principalId, roleDefinitionId: i.roleDefinitionId },
        };
      }
      if (r.type.endsWith("VirtualNetworkLink")) {
        const zone = world.resources.find((x) => x.type.endsWith("privatednszones"))!;
        return {
          id: `${zone.id}/virtualNetworkLinks/${String(i.virtualNetworkLinkName)}`,
          name: String(i.virtualNetworkLinkName),
          type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
          properties: { virtualNetwork: i.virtualNetwork, registrationEnabled: false },
        };
      }
      assert.ok(r.type.endsWith("VirtualNetworkPeering"), r.type);
      return { id: "", name: String(i.virtualNetworkPeeringName), type: "peering", properties: i };
    });
    const resources = world.resources.map((r) => {
      const peering = applied.find(
        (a) => a.type === "peering" && r.name === a.properties!.virtualNetworkName,
      );
      if (!peering) return r;
      const p = peering.properties!;
      return {
        ...r,
        properties: {
          ...r.properties,
          virtualNetworkPeerings: [
            {
              id: `${r.id}/virtualNetworkPeerings/${peering.name}`,
              name: peering.name,
              properties: { ...p, peeringState: "Connected" },
            },
          ],
        },
      };
    });
    // AND the program runs again on the environment as it now is
    mocks.resources.length = 0;
    await runOn([...resources, ...applied.filter((a) => a.type !== "peering")], world.config);
    // THEN it declares the same resources with the same inputs: nothing is replaced or deleted
    const second = mocks.resources.filter((r) => !r.type.startsWith("aks-acr-guard:"));
    assert.deepEqual(second, first);
  });

  it("keeps declaring the DNS zone group it gave an endpoint: a second run deletes nothing", async () => {
    // GIVEN the hub-and-spoke environment whose private endpoint has no DNS zone group and whose zone
    // holds no record for the registry (a healthy one, records written by hand, gets no zone group:
    // nothing fails there)
    const world = scenario("healthy-hub-spoke");
    const bare = world.resources.filter(
      (r) => !/\/(privatednszonegroups|privatednszones\/a)$/.test(r.type.toLowerCase()),
    );
    // (no zone group names the zone: the observer finds it, as a person would)
    const config = world.config;
    await runOn(bare, config);
    const first = mocks.resources.filter((r) => !r.type.startsWith("aks-acr-guard:"));
    const [group] = first.filter((r) => r.type === "azure-native:network:PrivateDnsZoneGroup");
    assert.ok(group, "the first run declares the endpoint's zone group");
    assert.equal(group.inputs.privateDnsZoneGroupName, "aks-acr-guard");
    // WHEN it exists in Azure, as ARM returns it, and the program runs again
    const pe = world.resources.find((r) => r.type.toLowerCase() === "microsoft.network/privateendpoints")!;
    const created: ArmRecord = {
      id: `${pe.id}/privateDnsZoneGroups/aks-acr-guard`,
      name: "aks-acr-guard",
      type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
      properties: {
        privateDnsZoneConfigs: (group.inputs.privateDnsZoneConfigs as Record<string, unknown>[]).map((c) => ({
          name: c.name,
          properties: { privateDnsZoneId: c.privateDnsZoneId },
        })),
      },
    };
    mocks.resources.length = 0;
    await runOn([...bare, created], config);
    // THEN it declares it again, with the same inputs: pulumi up leaves it (and its A records) in place
    assert.deepEqual(
      mocks.resources.filter((r) => !r.type.startsWith("aks-acr-guard:")),
      first,
    );
  });

  it("reports what no declaration fixes as commands: kubelet identity off a scale set", async () => {
    const world = scenario("healthy-public");
    const resources = world.resources.map((r) =>
      r.type.toLowerCase() === "microsoft.compute/virtualmachinescalesets"
        ? { ...r, identity: { type: "None" } }
        : r,
    );
    const { declared, commands } = await runOn(resources, world.config);
    assert.deepEqual(declared, []);
    assert.deepEqual(commands, ["aks-kubelet-identity-on-vmss: az aks update -g rg-aks -n aks-prod"]);
  });

  it("has the observer read the platforms of the images config names, for k8s-image-architecture", async () => {
    // GIVEN the architecture scenario's recording, and its workload's image in config
    const world = scenario("image-architecture-mismatch");
    const image = "contosoacr.azurecr.io/shop/web:1.4.2@sha256:" + "4f".repeat(32);
    const config = readProgramConfig((k) => ({ ...world.config, images: ` ${image} ,` })[k]);
    assert.deepEqual(config.images, [image]);
    // WHEN the integration is given them, as the program gives it its config
    const { AksAcrIntegration } = await import("../components/aks-acr-integration");
    const integration = new AksAcrIntegration("aks-prod", {
      clusterId: config.cluster.raw,
      registryId: config.registry.raw,
      images: config.images,
      reader: worldReader(world.resources),
    });
    const observed = (await valueOf(integration.observer.observed as never)) as ArmRecord[];
    assert.deepEqual(
      observed.filter((r) => r.type.endsWith("/imagePlatforms")).map((r) => r.properties?.platforms),
      [["linux/amd64"]],
    );
  });

  it("names the role assignment deterministically (UUID v5 of scope, principal and role)", async () => {
    const world = scenario("broken-hub-spoke");
    await runOn(world.resources, world.config);
    const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
    assert.equal(
      ra.inputs.roleAssignmentName,
      roleAssignmentName(
        world.config.registryId,
        "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b",
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",
      ),
    );
  });

  it("fails clearly when the cluster does not exist", async () => {
    const world = scenario("healthy-public");
    const withoutCluster = world.resources.filter((r) => !r.type.toLowerCase().endsWith("managedclusters"));
    const outputs = program((k) => world.config[k], worldReader(withoutCluster));
    await assert.rejects(
      valueOf(outputs.declared as never),
      /AksAcrObserver: cluster \/subscriptions\/.*aks-prod does not exist/,
    );
    forgetDeliberateFailures();
  });

  const BAD_CONFIG: [string, Record<string, string>, RegExp][] = [
    [
      "not an ARM id",
      { registryId: "contosoacr" },
      /registryId is "contosoacr"; expected \/subscriptions\/<subscription>\/resourceGroups\/<group>\/providers\/Microsoft.ContainerRegistry\/registries\/<name>/,
    ],
    [
      "the wrong resource type",
      {
        clusterId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr",
      },
      /clusterId is ".*registries\/acr"; expected .*Microsoft.ContainerService\/managedClusters\/<name>/,
    ],
    [
      "a non-GUID principal",
      { principalObjectId: "aks-prod" },
      /principalObjectId is "aks-prod"; expected an object id \(a GUID\)/,
    ],
    [
      "a bad CIDR",
      { egressIps: "20.50.1.4,20.50.1.300" },
      /egressIps holds "20.50.1.300"; expected comma-separated IPv4 addresses or ranges no wider than \/16/,
    ],
    ["a range open to everyone", { egressIps: "0.0.0.0/0" }, /egressIps holds "0.0.0.0\/0"/],
    [
      "a firewall policy of the wrong type",
      {
        firewallPolicyId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw",
      },
      /firewallPolicyId is .*; expected .*Microsoft.Network\/firewallPolicies\/<name>/,
    ],
    [
      "a namespace that is not a DNS label",
      { pullSecretNamespace: "Apps_1" },
      /pullSecretNamespace is "Apps_1"; expected a Kubernetes namespace name/,
    ],
    [
      "an image that is not a reference",
      { images: "contosoacr.azurecr.io/shop/web:1.4.2,Shop Web" },
      /images holds "Shop Web" \(.*\); expected comma-separated image references/,
    ],
    [
      "a pull-secret username without its password",
      { pullSecretNamespace: "apps", pullSecretUsername: "aks-prod-pull" },
      /pullSecretUsername and aks-acr-guard:pullSecretPassword go together; set both \(the password with pulumi config set --secret\)/,
    ],
    [
      "a pull-secret username that is neither a client id nor a token name",
      { pullSecretNamespace: "apps", pullSecretUsername: "my token!", pullSecretPassword: "s3cret-value" },
      /pullSecretUsername is "my token!"; expected a service principal's client id \(a GUID\) or a repository-scoped token's name/,
    ],
    [
      "pull-secret credentials without a namespace",
      { pullSecretUsername: "aks-prod-pull", pullSecretPassword: "s3cret-value" },
      /pullSecretUsername is set but aks-acr-guard:pullSecretNamespace is not/,
    ],
    [
      "a missing key",
      { clusterId: "" },
      /clusterId is not set; expected .* \(pulumi config set clusterId <id>\)/,
    ],
  ];
  const good = scenario("healthy-public").config;
  for (const [what, bad, expected] of BAD_CONFIG) {
    it(`fails at once on ${what}, naming the key, the value and the expected form`, () => {
      assert.throws(
        () => program((k) => ({ ...good, ...bad })[k]),
        (e: Error) => {
          assert.ok(e instanceof ProgramConfigError);
          assert.match(e.message, expected);
          assert.ok(!e.message.includes("s3cret-value"), "a password is never echoed");
          return true;
        },
      );
      assert.deepEqual(mocks.resources, [], "nothing is declared");
    });
  }
});
