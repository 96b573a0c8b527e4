import * as assert from "node:assert/strict";
import { ProgramConfigError, readProgramConfig } from "../core/program-config";
import {
  idOf,
  kubeletObjectId,
  managedCluster,
  registry,
  ROLE,
  servicePrincipal,
  prop,
} from "./fixtures/azure";
import { forgetDeliberateFailures, usePulumiMocks, valueOf } from "./harness/mocks";

const aks = managedCluster("aks-prod");
const spCluster = managedCluster("aks-sp", {
  servicePrincipalClientId: prop(servicePrincipal("sp-aks"), "clientId"),
});
const acr = registry("contosoacr", { resourceGroup: "rg-acr" });
const CLUSTERS: Record<string, typeof aks> = { "aks-prod": aks, "aks-sp": spCluster };

describe("the program (index.ts)", () => {
  const lookups: Record<string, unknown>[] = [];
  const mocks = usePulumiMocks({
    "azure-native:containerservice:getManagedCluster": (inputs) => {
      lookups.push(inputs);
      const c = CLUSTERS[inputs.resourceName as string];
      if (!c) throw new Error(`ResourceNotFound: ${inputs.resourceName}`);
      return c.props;
    },
  });
  let program: (get?: (key: string) => string | undefined) => Record<string, unknown>;
  before(async () => {
    program = (await import("../index")).default as typeof program;
  });
  beforeEach(() => (lookups.length = 0));

  const configOf = (values: Record<string, string>) => (key: string) => values[key];

  it("declares AcrPull on the registry for the kubelet identity the cluster's record shows", async () => {
    const outputs = program(configOf({ clusterId: idOf(aks), registryId: idOf(acr) }));
    assert.equal(await valueOf(outputs.pullingIdentity as never), kubeletObjectId(aks));
    await valueOf(outputs.pullRoleAssignmentId as never);
    assert.deepEqual(lookups, [{ resourceGroupName: "rg-aks", resourceName: "aks-prod" }]);
    const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
    assert.equal(ra.inputs.scope, idOf(acr));
    assert.equal(ra.inputs.principalId, kubeletObjectId(aks));
    assert.match(ra.inputs.roleDefinitionId as string, new RegExp(`${ROLE.acrPull}$`));
    assert.deepEqual(
      mocks.resources.map((r) => r.type),
      ["aks-acr-guard:index:AcrPullAccess", "azure-native:authorization:RoleAssignment"],
    );
  });

  it("uses principalObjectId and the ABAC role when config sets them", async () => {
    const oid = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    const outputs = program(
      configOf({
        clusterId: idOf(spCluster),
        registryId: idOf(acr),
        principalObjectId: oid,
        abacRepositoryPermissions: "true",
      }),
    );
    await valueOf(outputs.pullRoleAssignmentId as never);
    const [ra] = mocks.ofType("azure-native:authorization:RoleAssignment");
    assert.equal(ra.inputs.principalId, oid);
    assert.match(ra.inputs.roleDefinitionId as string, new RegExp(`${ROLE.repositoryReader}$`));
    assert.deepEqual(lookups, [], "no lookup is needed");
  });

  it("fails for a service-principal cluster without principalObjectId, with the command that finds it", async () => {
    const outputs = program(configOf({ clusterId: idOf(spCluster), registryId: idOf(acr) }));
    await assert.rejects(
      valueOf(outputs.pullingIdentity as never),
      /set aks-acr-guard:principalObjectId to \$\(az ad sp show --id [0-9a-f-]+ --query id -o tsv\)/,
    );
    forgetDeliberateFailures();
  });

  it("fails at once on bad config, naming every key, value and expected form", () => {
    assert.throws(
      () =>
        program(
          configOf({
            clusterId: idOf(acr),
            registryId: "contosoacr",
            principalObjectId: "aks-prod",
            abacRepositoryPermissions: "yes",
          }),
        ),
      (e: Error) => {
        assert.ok(e instanceof ProgramConfigError);
        assert.equal(e.problems.length, 4);
        assert.match(
          e.message,
          /aks-acr-guard:clusterId is ".*registries\/contosoacr"; expected \/subscriptions\/<subscription>\/resourceGroups\/<group>\/providers\/Microsoft.ContainerService\/managedClusters\/<name>/,
        );
        assert.match(
          e.message,
          /aks-acr-guard:registryId is "contosoacr"; expected .*Microsoft.ContainerRegistry\/registries\/<name>/,
        );
        assert.match(e.message, /principalObjectId is "aks-prod"; expected an object id/);
        assert.match(e.message, /abacRepositoryPermissions is "yes"; expected true or false/);
        return true;
      },
    );
    assert.deepEqual(mocks.resources, [], "nothing is declared");
  });

  it("fails when a required key is missing, saying how to set it", () => {
    assert.throws(
      () => readProgramConfig(configOf({})),
      /aks-acr-guard:clusterId is not set; expected .* \(pulumi config set clusterId <id>\)/,
    );
  });
});
