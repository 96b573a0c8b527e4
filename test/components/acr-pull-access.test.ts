import * as assert from "node:assert/strict";
import { planAcrPull } from "../../components/acr-pull-access";
import { idOf, kubeletObjectId, managedCluster, registry, ROLE, SUBSCRIPTION } from "../fixtures/azure";
import { assertSilent, assertViolation, usePolicyPack } from "../harness";
import { forgetDeliberateFailures, usePulumiMocks, valueOf, useComponents } from "../harness/mocks";

const acr = registry("contosoacr");
const aks = managedCluster("aks-prod");
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";

describe("AcrPullAccess", () => {
  const mocks = usePulumiMocks();
  const components = useComponents();

  async function declare(abac?: boolean) {
    const c = new components.AcrPullAccess("aks-prod", {
      registryId: idOf(acr),
      principalId: kubeletObjectId(aks),
      abacRepositoryPermissions: abac,
    });
    await valueOf(c.roleAssignment.urn);
    const [ra] = mocks.ofType(ROLE_ASSIGNMENT);
    return { c, ra };
  }

  it("declares AcrPull for the kubelet identity at the registry scope, as a service principal", async () => {
    const { ra } = await declare();
    assert.equal(mocks.ofType(ROLE_ASSIGNMENT).length, 1);
    assert.equal(ra.name, "aks-prod-acrpull");
    assert.equal(ra.inputs.scope, idOf(acr));
    assert.equal(ra.inputs.principalId, kubeletObjectId(aks));
    assert.equal(ra.inputs.principalType, "ServicePrincipal");
    assert.equal(
      ra.inputs.roleDefinitionId,
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${ROLE.acrPull}`,
    );
    assert.match(
      ra.inputs.roleAssignmentName as string,
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("declares Container Registry Repository Reader on a registry in ABAC mode", async () => {
    const { ra } = await declare(true);
    assert.match(ra.inputs.roleDefinitionId as string, new RegExp(`${ROLE.repositoryReader}$`));
  });

  it("declares identical inputs on every run", async () => {
    const first = (await declare()).ra.inputs;
    mocks.resources.length = 0;
    const second = (await declare()).ra.inputs;
    assert.deepEqual(second, first);
  });

  it("parents the role assignment to the component and registers its outputs", async () => {
    const { c } = await declare();
    assert.equal(
      await valueOf(c.roleAssignmentName),
      mocks.ofType(ROLE_ASSIGNMENT)[0].inputs.roleAssignmentName,
    );
    assert.match(
      await valueOf(c.roleAssignment.urn),
      /aks-acr-guard:index:AcrPullAccess\$azure-native:authorization:RoleAssignment::aks-prod-acrpull$/,
    );
  });

  it("fails when registryId is not the ARM id of a registry", async () => {
    assert.throws(
      () => planAcrPull("contosoacr", kubeletObjectId(aks), false),
      /registryId "contosoacr" is not the ARM id of a container registry; expected \/subscriptions\/<subscription>\/resourceGroups\/<group>\/providers\/Microsoft.ContainerRegistry\/registries\/<name>/,
    );
    assert.throws(
      () => planAcrPull(`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-aks`, kubeletObjectId(aks), false),
      /not the ARM id of a container registry/,
    );
    const c = new components.AcrPullAccess("bad", {
      registryId: "contosoacr",
      principalId: kubeletObjectId(aks),
    });
    await assert.rejects(valueOf(c.roleAssignmentName), /registryId "contosoacr"/);
    forgetDeliberateFailures();
  });

  it("fails when principalId is not an object id", async () => {
    const rid = (aks.props.identityProfile as { kubeletidentity: { resourceId: string } }).kubeletidentity
      .resourceId;
    assert.throws(
      () => planAcrPull(idOf(acr), rid, false),
      /principalId ".*" is not an object id; expected a GUID/,
    );
  });
});

describe("AcrPullAccess closes aks-acr-pull-role", () => {
  const mocks = usePulumiMocks();
  const { run } = usePolicyPack();

  it("turns the policy's violation into silence with the assignment it declares", async () => {
    // GIVEN a cluster and a registry with no pull role: the policy reports
    assertViolation(await run("aks-acr-pull-role", [acr, aks]), "mandatory", aks, "AcrPullAccess");
    // WHEN the component declares its fix
    const { AcrPullAccess } = await import("../../components");
    const c = new AcrPullAccess("aks-prod", { registryId: idOf(acr), principalId: kubeletObjectId(aks) });
    await valueOf(c.roleAssignment.urn);
    const [declared] = mocks.ofType(ROLE_ASSIGNMENT);
    // THEN the stack with the declared assignment is silent
    const fix = { type: declared.type, name: declared.name, props: declared.inputs };
    assertSilent(await run("aks-acr-pull-role", [acr, aks, fix]));
  });
});
