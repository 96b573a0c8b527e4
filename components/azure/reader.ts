/**
 * How AksAcrObserver reads Azure: ARM resource JSON by id or by collection, the role assignments
 * that apply at a scope, a service principal's credential end dates (Microsoft Graph), and a
 * registry's admin password hashes. One interface, two implementations: `restReader` (`rest.ts`,
 * ARM and Graph over HTTPS with the token of the azure-native provider's own credentials) and,
 * for the offline preview, a reader over a recorded environment (`offline/world-reader.ts`),
 * which the program passes to the components as their `reader` argument.
 */
import { ArmRecord } from "../../core/stack/arm-types";

export type { ArmRecord };

export interface AzureReader {
  /** The resource with this id; undefined when it does not exist. */
  get(id: string): Promise<ArmRecord | undefined>;
  /**
   * The resources of a collection: every record whose id is `collection/<name>`, e.g.
   * `.../resourceGroups/MC_rg_aks/providers/Microsoft.Compute/virtualMachineScaleSets` or
   * `.../privateDnsZones/privatelink.azurecr.io/virtualNetworkLinks`.
   */
  list(collection: string): Promise<ArmRecord[]>;
  /** The role assignments that apply at a scope: at it and at every ancestor scope. */
  roleAssignmentsAt(scope: string): Promise<ArmRecord[]>;
  /**
   * The service principal of an application (client) id, as a `Microsoft.Graph/servicePrincipals`
   * record whose `passwordCredentials` list its own and its application's credentials, end dates
   * only; undefined when Graph has none.
   */
  servicePrincipal(appId: string): Promise<ArmRecord | undefined>;
  /**
   * The registry's admin credentials as a `Microsoft.ContainerRegistry/registries/credentials`
   * record (id `<registry>/credentials/admin`): the username and `passwordHashes` ("sha256:<hex>"); the passwords never leave the reader.
   */
  registryCredentials(registryId: string): Promise<ArmRecord | undefined>;
  /**
   * The platforms an image offers (`linux/amd64`, `linux/arm64/v8`), from its manifest in the
   * registry's data plane, read with the reader's own identity (no token is kept); undefined when
   * the image or the access is missing.
   */
  imagePlatforms(
    registryId: string,
    loginServer: string,
    repository: string,
    reference: string,
  ): Promise<ArmRecord | undefined>;
}

/** The HTTP function the HTTPS readers take (global `fetch`, or a test double). */
export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

/**
 * A reader made on its first use, and only once: components that share it (the integration's
 * observer and its pull-role check) read the provider's config and the cloud's endpoints once, and
 * a component whose inputs stay unknown in a preview makes none.
 */
export function lazyReader(make: () => Promise<AzureReader>): AzureReader {
  let made: Promise<AzureReader> | undefined;
  const reader = () => (made ??= make());
  return {
    get: async (id) => (await reader()).get(id),
    list: async (collection) => (await reader()).list(collection),
    roleAssignmentsAt: async (scope) => (await reader()).roleAssignmentsAt(scope),
    servicePrincipal: async (appId) => (await reader()).servicePrincipal(appId),
    registryCredentials: async (registryId) => (await reader()).registryCredentials(registryId),
    imagePlatforms: async (...image) => (await reader()).imagePlatforms(...image),
  };
}
