/**
 * Reads Azure over HTTPS: ARM (with the API version of each resource type) and Microsoft Graph, at
 * the endpoints of the provider's cloud, with a token function the caller supplies.
 */
import { ArmRecord } from "../../core/stack/arm-types";
import { AzureReader, Fetch } from "./reader";
import { credentialsRecord, servicePrincipalRecord } from "./records";
import { readImagePlatforms } from "./registry-manifest";

/** Where ARM and Microsoft Graph are, for the cloud the azure-native provider is configured for. */
export interface CloudEndpoints {
  resourceManager: string;
  graph: string;
}

/** The clouds azure-native's `environment` names (its default is `public`). */
export const CLOUDS: Record<string, CloudEndpoints> = {
  public: { resourceManager: "https://management.azure.com", graph: "https://graph.microsoft.com" },
  usgovernment: {
    resourceManager: "https://management.usgovcloudapi.net",
    graph: "https://graph.microsoft.us",
  },
  china: {
    resourceManager: "https://management.chinacloudapi.cn",
    graph: "https://microsoftgraph.chinacloudapi.cn",
  },
};

const trimmed = (u: string) => u.replace(/\/+$/, "");

/**
 * The endpoints of the provider's cloud: `metadataHost` (Azure Stack, private clouds) is asked
 * for them as the provider asks it (`/metadata/endpoints`); else `environment` picks a known cloud.
 */
export async function cloudEndpoints(
  config: { environment?: string; metadataHost?: string },
  fetchImpl: Fetch,
): Promise<CloudEndpoints> {
  if (config.metadataHost) {
    const url = `https://${config.metadataHost}/metadata/endpoints?api-version=2022-09-01`;
    const res = await fetchImpl(url, { method: "GET", headers: { Accept: "application/json" } });
    const md = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const rm = md.resourceManager;
    const graph = md.microsoftGraphResourceId;
    if (res.status !== 200 || typeof rm !== "string" || typeof graph !== "string") {
      throw new Error(
        `azure-native:metadataHost ${config.metadataHost}: ${url} answered ${res.status} without resourceManager and microsoftGraphResourceId`,
      );
    }
    return { resourceManager: trimmed(rm), graph: trimmed(graph) };
  }
  const name = (config.environment ?? "public").toLowerCase();
  const cloud = CLOUDS[name === "usgov" ? "usgovernment" : name];
  if (!cloud) {
    throw new Error(
      `azure-native:environment ${JSON.stringify(config.environment)} is not a cloud the observer knows; expected one of ${Object.keys(CLOUDS).join(", ")}, or set azure-native:metadataHost`,
    );
  }
  return cloud;
}

/**
 * The API version for a resource or collection path, by the resource type it addresses: the last
 * `providers/<Namespace>` segment decides (role assignments under a registry are
 * Microsoft.Authorization's, not the registry's).
 */
export function apiVersionOf(path: string): string {
  const p = path.split("?")[0].toLowerCase();
  // A subscription itself (its tenantId): the Subscriptions API.
  if (/^\/subscriptions\/[^/]+\/?$/.test(p)) return "2022-12-01";
  const at = p.lastIndexOf("/providers/");
  const scoped = at < 0 ? "" : p.slice(at);
  if (scoped.startsWith("/providers/microsoft.authorization/")) return "2022-04-01";
  if (scoped.startsWith("/providers/microsoft.containerservice/")) return "2024-09-01";
  // The registry itself at the first version that returns roleAssignmentMode (ABAC or RBAC).
  if (/^\/providers\/microsoft\.containerregistry\/registries\/[^/]+$/.test(scoped))
    return "2025-05-01-preview";
  if (scoped.startsWith("/providers/microsoft.containerregistry/")) return "2023-07-01";
  if (scoped.startsWith("/providers/microsoft.compute/")) return "2024-07-01";
  if (scoped.startsWith("/providers/microsoft.network/privatednszones")) return "2024-06-01";
  if (scoped.startsWith("/providers/microsoft.network/")) return "2024-05-01";
  if (scoped.startsWith("/providers/microsoft.managedidentity/")) return "2023-01-31";
  return "2021-04-01";
}

/** Reads Azure over HTTPS; `token(resource)` returns a bearer token for ARM or Graph. */
export function restReader(
  token: (resource: string) => Promise<string>,
  fetchImpl: Fetch,
  endpoints: CloudEndpoints = CLOUDS.public,
): AzureReader {
  const ARM = endpoints.resourceManager;
  const GRAPH = endpoints.graph;
  async function call(
    base: string,
    path: string,
    method = "GET",
  ): Promise<Record<string, unknown> | undefined> {
    const res = await fetchImpl(base + path, {
      method,
      headers: { Authorization: `Bearer ${await token(base)}`, Accept: "application/json" },
    });
    if (res.status === 404) return undefined;
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status >= 400) {
      const err = (body.error ?? {}) as { code?: string; message?: string };
      // The path only, never the answer: an error body may quote what it was sent.
      throw new Error(`${method} ${path.split("?")[0]}: ${res.status} ${err.code ?? ""}`.trim());
    }
    return body;
  }
  const arm = (path: string, method = "GET") =>
    call(ARM, `${path}${path.includes("?") ? "&" : "?"}api-version=${apiVersionOf(path)}`, method);
  async function all(path: string): Promise<ArmRecord[]> {
    const out: ArmRecord[] = [];
    let page = await arm(path);
    while (page) {
      out.push(...((page.value as ArmRecord[] | undefined) ?? []));
      const next = typeof page.nextLink === "string" ? page.nextLink : undefined;
      page = next ? await call(ARM, next.replace(ARM, "")) : undefined;
    }
    return out;
  }
  return {
    get: async (id) => (await arm(id)) as ArmRecord | undefined,
    list: (collection) => all(collection),
    roleAssignmentsAt: (scope) =>
      all(`${scope}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()`),
    async servicePrincipal(appId) {
      const select = "$select=id,appId,displayName,passwordCredentials";
      const sp = await call(GRAPH, `/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')?${select}`);
      if (!sp) return undefined;
      const app = await call(
        GRAPH,
        `/v1.0/applications(appId='${encodeURIComponent(appId)}')?${select}`,
      ).catch(
        () => undefined, // the application may live in another tenant
      );
      return servicePrincipalRecord(sp, app);
    },
    async registryCredentials(registryId) {
      const answer = await arm(`${registryId}/listCredentials`, "POST");
      return answer ? credentialsRecord(registryId, answer) : undefined;
    },
    imagePlatforms: (registryId, loginServer, repository, reference) =>
      readImagePlatforms(fetchImpl, () => token(ARM), registryId, loginServer, repository, reference),
  };
}

/**
 * The reader an observer uses when given none: ARM and Graph over HTTPS at the endpoints of the
 * cloud the default azure-native provider is configured for (its `environment` or `metadataHost`
 * config, or the ARM_ENVIRONMENT / ARM_METADATA_HOSTNAME variables it also reads).
 */
export async function providerReader(): Promise<AzureReader> {
  const { Config } = await import("@pulumi/pulumi");
  const config = new Config("azure-native");
  const endpoints = await cloudEndpoints(
    {
      environment: config.get("environment") ?? process.env.ARM_ENVIRONMENT,
      metadataHost: config.get("metadataHost") ?? process.env.ARM_METADATA_HOSTNAME,
    },
    fetch,
  );
  return restReader(
    async (resource) => {
      const { getClientToken } = await import("@pulumi/azure-native/authorization");
      // The provider's own credentials, so the observer reads with what the stack deploys with.
      const { token } = await getClientToken(
        resource === endpoints.resourceManager ? {} : { endpoint: `${resource}/` },
      );
      return token;
    },
    fetch,
    endpoints,
  );
}
