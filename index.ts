/**
 * The aks-acr-guard program: points the components at an existing cluster and registry named in
 * stack config (see Pulumi.example.yaml) and declares the wiring they lack.
 */
import * as pulumi from "@pulumi/pulumi";
import { getManagedClusterOutput } from "@pulumi/azure-native/containerservice";
import { AcrPullAccess } from "./components";
import { kubeletObjectIdOf, readProgramConfig } from "./core/program-config";

/** Runs the program; Pulumi calls it with no argument and takes what it returns as stack outputs. */
function aksAcrGuard(get: (key: string) => string | undefined = (key) => new pulumi.Config().get(key)) {
  const config = readProgramConfig(get);
  const clusterName = config.cluster.resources[0].name;
  const principalId =
    config.principalObjectId ??
    getManagedClusterOutput({
      resourceGroupName: config.cluster.resourceGroup!,
      resourceName: clusterName,
    }).apply(kubeletObjectIdOf);
  const pull = new AcrPullAccess(clusterName, {
    registryId: config.registry.raw,
    principalId,
    abacRepositoryPermissions: config.abacRepositoryPermissions,
  });
  return {
    pullingIdentity: principalId,
    pullRoleAssignmentId: pull.roleAssignment.id,
    pullRoleDefinitionId: pull.roleDefinitionId,
  };
}

export = aksAcrGuard;
