import * as pulumi from "@pulumi/pulumi";
import { RoleAssignment } from "@pulumi/azure-native/authorization";
import { requireArmId } from "../core/stack/arm-id";
import { GUID, pullRoleFor } from "../core/identity/roles";
import { roleAssignmentName } from "../core/plan/uuid";

export interface AcrPullAccessArgs {
  /**
   * ARM id of the registry to pull from
   * (`/subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>`).
   */
  registryId: pulumi.Input<string>;
  /**
   * Object id of the identity the kubelet pulls with: the cluster's
   * `identityProfile.kubeletidentity.objectId`, or the object id of its service principal.
   */
  principalId: pulumi.Input<string>;
  /**
   * Whether the registry is in ABAC mode (`roleAssignmentMode: AbacRepositoryPermissions`), where
   * AcrPull is not honoured.
   * @default - false: AcrPull; true assigns Container Registry Repository Reader
   */
  abacRepositoryPermissions?: pulumi.Input<boolean>;
}

/**
 * The pull role for a cluster's pulling identity on a registry: the declaration that fixes
 * `aks-acr-pull-role` (401 Unauthorized). AcrPull at the registry scope (Container Registry
 * Repository Reader on an ABAC registry), `principalType: ServicePrincipal` so a just-created
 * identity does not fail with PrincipalNotFound, and a name derived from scope, principal and role
 * so that every run declares the same assignment.
 */
export class AcrPullAccess extends pulumi.ComponentResource {
  public readonly roleAssignment: RoleAssignment;
  /** The assignment's GUID name. */
  public readonly roleAssignmentName: pulumi.Output<string>;
  /** The role definition id assigned. */
  public readonly roleDefinitionId: pulumi.Output<string>;

  constructor(name: string, args: AcrPullAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:AcrPullAccess", name, {}, opts);
    const plan = pulumi
      .all([args.registryId, args.principalId, args.abacRepositoryPermissions ?? false])
      .apply(([registryId, principalId, abac]) => planAcrPull(registryId, principalId, abac));
    this.roleDefinitionId = plan.roleDefinitionId;
    this.roleAssignmentName = plan.name;
    this.roleAssignment = new RoleAssignment(
      `${name}-acrpull`,
      {
        roleAssignmentName: plan.name,
        scope: args.registryId,
        principalId: args.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: plan.roleDefinitionId,
        description: plan.description,
      },
      { parent: this },
    );
    this.registerOutputs({
      roleAssignment: this.roleAssignment,
      roleAssignmentName: this.roleAssignmentName,
      roleDefinitionId: this.roleDefinitionId,
    });
  }
}

export interface AcrPullPlan {
  name: string;
  roleDefinitionId: string;
  description: string;
}

/** What AcrPullAccess declares, decided from plain values; throws on a value of the wrong form. */
export function planAcrPull(registryId: string, principalId: string, abac: boolean): AcrPullPlan {
  const id = requireArmId(
    "AcrPullAccess",
    "registryId",
    registryId,
    "Microsoft.ContainerRegistry/registries",
    "container registry",
  );
  if (!GUID.test(principalId)) {
    throw new Error(
      `AcrPullAccess: principalId ${JSON.stringify(principalId)} is not an object id; expected a GUID such as ` +
        "the cluster's identityProfile.kubeletidentity.objectId (not its clientId or resourceId)",
    );
  }
  const role = pullRoleFor(abac ? "abac" : "rbac");
  return {
    name: roleAssignmentName(id.raw, principalId, role.guid),
    roleDefinitionId: `/subscriptions/${id.subscriptionId!}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`,
    description: `${role.name} for the kubelet, declared by aks-acr-guard`,
  };
}
