/**
 * How AksAcrObserver reads Azure: ARM resource JSON by id or by collection, the role assignments
 * that apply at a scope, a service principal's credential end dates (Microsoft Graph), and a
 * registry's admin password hashes. One interface, two implementations: `restReader` (ARM and
 * Graph over HTTPS with the token of the azure-native provider's own credentials) and, for the
 * offline preview, a reader over a recorded environment (`offline/world-reader.ts`).
 */
import { ArmRecord } from "../../core/stack/arm-types";
import { sha256 } from "../../core/identity/pull-secrets";

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

/** `<repository>:<tag>` or `<repository>@<digest>`: a reference's form after the login server. */
export function repositoryReference(repository: string, reference: string): string {
  return `${repository}${reference.includes(":") ? "@" : ":"}${reference}`;
}

/** An image's platforms as the record the policies read (`Microsoft.ContainerRegistry/registries/imagePlatforms`). */
export function imagePlatformsRecord(
  registryId: string,
  loginServer: string,
  repository: string,
  reference: string,
  platforms: string[],
): ArmRecord {
  const ref = repositoryReference(repository, reference);
  return {
    id: `${registryId}/imagePlatforms/${encodeURIComponent(ref)}`,
    name: ref,
    type: "Microsoft.ContainerRegistry/registries/imagePlatforms",
    properties: {
      image: `${loginServer}/${ref}`,
      ...(reference.includes(":") ? { digest: reference } : {}),
      platforms,
    },
  };
}

/** The media types of a manifest and of a manifest list (OCI and Docker). */
const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** `os/architecture[/variant]` of a manifest list entry or an image config; attestation entries (`unknown/unknown`) left out. */
function platformOf(p: unknown): string | undefined {
  if (!p || typeof p !== "object") return undefined;
  const { os, architecture, variant } = p as Record<string, unknown>;
  if (typeof os !== "string" || typeof architecture !== "string" || os === "unknown") return undefined;
  return [os, architecture, ...(typeof variant === "string" && variant ? [variant] : [])]
    .join("/")
    .toLowerCase();
}

/**
 * Where a registry's data plane answers: `https://<login server>`, or the template in
 * AKS_ACR_GUARD_REGISTRY_ENDPOINT (`{loginServer}` replaced), for a proxy in front of registries
 * or a test double.
 */
export function registryEndpoint(loginServer: string): string {
  const template = process.env.AKS_ACR_GUARD_REGISTRY_ENDPOINT;
  return template
    ? template.replace("{loginServer}", loginServer).replace(/\/+$/, "")
    : `https://${loginServer}`;
}

/** The admin-credentials record of a registry, from `listCredentials`' answer; passwords reduced to hashes. */
export function credentialsRecord(
  registryId: string,
  answer: { username?: unknown; passwords?: unknown },
): ArmRecord {
  const passwords = Array.isArray(answer.passwords) ? (answer.passwords as { value?: unknown }[]) : [];
  return {
    id: `${registryId}/credentials/admin`,
    name: "admin",
    type: "Microsoft.ContainerRegistry/registries/credentials",
    properties: {
      username: typeof answer.username === "string" ? answer.username : undefined,
      passwordHashes: passwords
        .map((p) => p.value)
        .filter((v) => typeof v === "string")
        .map(sha256),
    },
  };
}

/** Graph's password credentials, end dates kept and nothing else (Graph's `hint` is the secret's first characters). */
export function credentialEndDates(list: unknown, source: string): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return (list as Record<string, unknown>[]).map((c) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? undefined,
    startDateTime: c.startDateTime,
    endDateTime: c.endDateTime,
    source,
  }));
}

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

export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

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
    async imagePlatforms(registryId, loginServer, repository, reference) {
      // ACR's token exchange: the ARM token for a refresh token, that for a pull-scoped access token.
      const base = registryEndpoint(loginServer);
      const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
      const post = async (path: string, fields: Record<string, string>) => {
        const res = await fetchImpl(`${base}${path}`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
          body: form(fields),
        });
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      };
      const exchanged = await post("/oauth2/exchange", {
        grant_type: "access_token",
        service: loginServer,
        access_token: await token(ARM),
      });
      const refresh = exchanged?.refresh_token;
      if (typeof refresh !== "string") return undefined;
      const issued = await post("/oauth2/token", {
        grant_type: "refresh_token",
        service: loginServer,
        scope: `repository:${repository}:pull`,
        refresh_token: refresh,
      });
      const access = issued?.access_token;
      if (typeof access !== "string") return undefined;
      const get = async (path: string, accept: string) => {
        const res = await fetchImpl(`${base}${path}`, {
          method: "GET",
          headers: { Authorization: `Bearer ${access}`, Accept: accept },
        });
        return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
      };
      const manifest = await get(`/v2/${repository}/manifests/${reference}`, MANIFEST_ACCEPT);
      if (!manifest) return undefined;
      let platforms: string[];
      if (Array.isArray(manifest.manifests)) {
        platforms = manifest.manifests
          .map((m) => platformOf((m as Record<string, unknown>).platform))
          .filter((p): p is string => !!p);
      } else {
        // One image: its platform is in its config blob.
        const digest = (manifest.config as Record<string, unknown> | undefined)?.digest;
        const config =
          typeof digest === "string"
            ? await get(`/v2/${repository}/blobs/${digest}`, "application/json")
            : undefined;
        const one = platformOf(config);
        if (!one) return undefined;
        platforms = [one];
      }
      return imagePlatformsRecord(registryId, loginServer, repository, reference, [...new Set(platforms)]);
    },
  };
}

/** A Graph service principal (and its application) as the record the policies read. */
export function servicePrincipalRecord(
  sp: Record<string, unknown>,
  app?: Record<string, unknown>,
): ArmRecord {
  return {
    id: `/servicePrincipals/${String(sp.id)}`,
    name: String(sp.displayName ?? sp.appId),
    type: "Microsoft.Graph/servicePrincipals",
    properties: {
      objectId: sp.id,
      appId: sp.appId,
      displayName: sp.displayName,
      passwordCredentials: [
        ...credentialEndDates(sp.passwordCredentials, "servicePrincipal"),
        ...credentialEndDates(app?.passwordCredentials, "application"),
      ],
    },
  };
}

let current: AzureReader | undefined;

/** Replaces how observers read Azure (the offline preview reads a recording); undefined restores HTTPS. */
export function useAzureReader(reader: AzureReader | undefined): void {
  current = reader;
}

/**
 * The reader observers use: the one set by `useAzureReader`, else ARM and Graph over HTTPS at the
 * endpoints of the cloud the default azure-native provider is configured for (its `environment` or
 * `metadataHost` config, or the ARM_ENVIRONMENT / ARM_METADATA_HOSTNAME variables it also reads).
 */
export async function azureReader(): Promise<AzureReader> {
  if (current) return current;
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
