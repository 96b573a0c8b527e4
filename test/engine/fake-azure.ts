/**
 * A stand-in for Azure that the engine suite's emulated providers and the program's observer both
 * talk to over HTTPS on 127.0.0.1: ARM (resources by id, collections, role assignments at a scope,
 * `listCredentials`, `listClusterUserCredential`), Microsoft Graph (service principals and
 * applications by appId), the cloud metadata endpoint a `metadataHost` names, and a small object
 * store for the emulated Kubernetes provider. It holds one world's state across `pulumi` runs, so
 * what `up` creates is what the next preview's observer reads.
 *
 * It accepts only what Azure accepts where the suite depends on it: an `api-version` documented for
 * the resource type asked about, a create that names its parent, and peerings whose state follows
 * both sides (`Initiated` until the remote VNet peers back).
 */
import * as crypto from "node:crypto";
import * as https from "node:https";
import { AddressInfo } from "node:net";
import { inSubscriptionCollection, subscriptionCollection } from "../../core/stack/arm-id";
import { ArmRecord } from "../../core/stack/arm-types";
import { repositoryReference } from "../../components/azure/records";

/** API versions Azure documents, by the resource type a path addresses (lower case, ARM form). */
const API_VERSIONS: Record<string, string[]> = {
  "microsoft.containerservice/managedclusters": ["2024-09-01", "2024-10-01", "2025-01-01", "2025-05-01"],
  "microsoft.containerservice/managedclusters/agentpools": ["2024-09-01", "2024-10-01", "2025-01-01"],
  "microsoft.containerregistry/registries": [
    "2023-07-01",
    "2023-11-01-preview",
    "2024-11-01-preview",
    "2025-04-01",
    "2025-05-01-preview",
    "2025-11-01",
  ],
  "microsoft.containerregistry/registries/tokens": [
    "2022-12-01",
    "2023-07-01",
    "2024-11-01-preview",
    "2025-04-01",
  ],
  "microsoft.authorization/roleassignments": ["2022-04-01"],
  "microsoft.authorization/roledefinitions": ["2022-04-01"],
  "microsoft.managedidentity/userassignedidentities": ["2023-01-31"],
  "microsoft.resources/resourcegroups": ["2021-04-01", "2024-03-01"],
  // Subscriptions - Get (Microsoft.Resources/subscriptions, the Subscriptions API's versions).
  "microsoft.resources/subscriptions": ["2016-06-01", "2020-01-01", "2021-01-01", "2022-12-01"],
  "microsoft.compute/virtualmachinescalesets": ["2024-07-01", "2024-11-01"],
  "microsoft.network/privatednszones": ["2024-06-01"],
  "microsoft.network/privatednszones/a": ["2024-06-01"],
  "microsoft.network/privatednszones/virtualnetworklinks": ["2024-06-01"],
  "microsoft.network/*": ["2024-03-01", "2024-05-01", "2024-07-01"],
};

/**
 * The ARM resource type a path addresses, in the path's casing:
 * `.../providers/Microsoft.Network/virtualNetworks/v/virtualNetworkPeerings[/p]` ->
 * `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`; `/subscriptions/<s>/resourceGroups[/<g>]`
 * -> `Microsoft.Resources/resourceGroups`.
 */
export function typeOfPath(path: string): string | undefined {
  const parts = path.split("?")[0].split("/").filter(Boolean);
  const at = parts.map((p) => p.toLowerCase()).lastIndexOf("providers");
  if (at < 0) {
    if (parts.length === 2 && parts[0].toLowerCase() === "subscriptions")
      return "Microsoft.Resources/subscriptions";
    return parts.length >= 3 && parts[2].toLowerCase() === "resourcegroups"
      ? "Microsoft.Resources/resourceGroups"
      : undefined;
  }
  const rest = parts.slice(at + 1);
  const types = [rest[0]];
  for (let i = 1; i < rest.length; i += 2) types.push(rest[i]);
  return types.join("/");
}

/** The lower-case type a path addresses, as API_VERSIONS keys it. */
export const armTypeOfPath = (path: string): string | undefined => typeOfPath(path)?.toLowerCase();

/** The registry API versions that return `roleAssignmentMode` (azure-rest-api-specs). */
const REGISTRY_MODE_VERSIONS = new Set(["2025-05-01-preview"]);

/** A record as Azure returns it at an API version: a registry's mode only where that version has it. */
export function atApiVersion(record: ArmRecord, version: string | null): ArmRecord {
  if (record.type.toLowerCase() !== "microsoft.containerregistry/registries") return record;
  if (version && REGISTRY_MODE_VERSIONS.has(version)) return record;
  const { roleAssignmentMode: _dropped, ...properties } = record.properties ?? {};
  void _dropped;
  return { ...record, properties };
}

/** The properties of a record that an API version has no field for (kept across a PUT at it). */
function unversioned(record: ArmRecord | undefined, version: string | null): Record<string, unknown> {
  if (!record) return {};
  const shown = atApiVersion(record, version).properties ?? {};
  return Object.fromEntries(Object.entries(record.properties ?? {}).filter(([k]) => !(k in shown)));
}

export function apiVersionAccepted(path: string, version: string | null): boolean {
  const type = armTypeOfPath(path);
  if (!type || !version) return false;
  const known =
    API_VERSIONS[type] ??
    (type.startsWith("microsoft.network/") ? API_VERSIONS["microsoft.network/*"] : undefined);
  return !!known && known.includes(version);
}

const lower = (s: string) => s.toLowerCase().replace(/\/+$/, "");
const parentOf = (id: string) => id.split("/").slice(0, -2).join("/");

function guidFrom(...parts: string[]): string {
  const h = crypto.createHash("sha256").update(parts.join("|")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface GraphServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  passwordCredentials: Record<string, unknown>[];
}

export interface FakeAzure {
  /** `127.0.0.1:<port>`, what `azure-native:metadataHost` names. */
  host: string;
  url: string;
  /** Every request, `METHOD path?query`, for assertions. */
  requests: string[];
  /** Requests Azure would refuse, with the reason; the suite asserts there are none. */
  refused: string[];
  resources: Map<string, ArmRecord>;
  kubernetes: Map<string, Record<string, unknown>>;
  /** Each subscription's tenant, by lower-case subscription id (else HOME_TENANT). */
  tenants: Map<string, string>;
  seed(records: ArmRecord[]): void;
  /**
   * Settings someone changes outside the stack once it creates a resource, by ARM id: what no
   * declaration can set (a registry's roleAssignmentMode, `az acr update --role-assignment-mode`).
   */
  changeOutside(changes: { id: string; properties: Record<string, unknown> }[]): void;
  close(): Promise<void>;
}

/** The tenant of the subscriptions no test names another for. */
export const HOME_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** Computed properties ARM fills in on a PUT, where the body did not carry them (recordings do). */
function computed(record: ArmRecord, all: Map<string, ArmRecord>, tenantOfId: (id: string) => string): void {
  const p = (record.properties ??= {});
  const type = record.type.toLowerCase();
  p.provisioningState = "Succeeded";
  const [, , sub, , group] = record.id.split("/");
  if (type === "microsoft.containerregistry/registries") {
    p.loginServer ??= `${record.name.toLowerCase()}.azurecr.io`;
    p.adminUserEnabled ??= false;
    p.publicNetworkAccess ??= "Enabled";
    p.roleAssignmentMode ??= "LegacyRegistryPermissions";
  }
  if (type === "microsoft.containerservice/managedclusters") {
    const location = String(record.location ?? "westeurope");
    p.nodeResourceGroup ??= `MC_${group}_${record.name}_${location}`;
    p.fqdn ??= `${record.name}-dns-${guidFrom(record.id).slice(0, 8)}.hcp.${location}.azmk8s.io`;
    // A service-principal cluster has no managed identity; otherwise AKS makes both identities.
    const clientId = (p.servicePrincipalProfile as Record<string, unknown> | undefined)?.clientId;
    if (typeof clientId !== "string" || clientId.toLowerCase() === "msi") {
      const identity = (record.identity ??= { type: "SystemAssigned" }) as Record<string, unknown>;
      if (String(identity.type).toLowerCase().includes("systemassigned")) {
        identity.principalId ??= guidFrom(record.id, "control-plane");
        identity.tenantId ??= tenantOfId(record.id);
      }
      const profile = (p.identityProfile ??= {}) as Record<string, Record<string, unknown>>;
      profile.kubeletidentity ??= {
        resourceId: `/subscriptions/${sub}/resourcegroups/${String(p.nodeResourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${record.name}-agentpool`,
        clientId: guidFrom(record.id, "kubelet-client"),
        objectId: guidFrom(record.id, "kubelet-object"),
      };
    }
  }
  if (type === "microsoft.authorization/roleassignments") {
    p.scope ??= record.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, "");
  }
  if (type === "microsoft.network/virtualnetworks/virtualnetworkpeerings") peeringStates(all, record);
}

/**
 * ARM shows a peering `Initiated` until the remote VNet has one back, then both `Connected`; a side
 * deleted leaves the other `Disconnected`. A state the PUT carries (a recording recreated) is kept.
 */
function peeringStates(all: Map<string, ArmRecord>, changed: ArmRecord, deleted = false): void {
  const vnetOf = (r: ArmRecord) => lower(parentOf(r.id));
  const remoteOf = (r: ArmRecord) =>
    lower(String(((r.properties?.remoteVirtualNetwork ?? {}) as { id?: string }).id ?? ""));
  const back = [...all.values()].find(
    (r) =>
      r.type.toLowerCase() === "microsoft.network/virtualnetworks/virtualnetworkpeerings" &&
      vnetOf(r) === remoteOf(changed) &&
      remoteOf(r) === vnetOf(changed) &&
      lower(r.id) !== lower(changed.id),
  );
  if (deleted) {
    if (back) back.properties!.peeringState = "Disconnected";
    return;
  }
  const p = changed.properties!;
  if (p.peeringState !== undefined) return;
  if (back) {
    p.peeringState = "Connected";
    back.properties!.peeringState = "Connected";
  } else p.peeringState = "Initiated";
}

/** Child resources ARM takes and returns inline in their parent: a VNet's subnets and peerings. */
const INLINE: Record<string, Record<string, string>> = {
  "microsoft.network/virtualnetworks": {
    subnets: "Microsoft.Network/virtualNetworks/subnets",
    virtualNetworkPeerings: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
  },
};

export async function startFakeAzure(tls: { key: string; cert: string }): Promise<FakeAzure> {
  const resources = new Map<string, ArmRecord>();
  /** Settings changed outside the stack once it creates a resource, by lower-case id. */
  const outside = new Map<string, Record<string, unknown>>();
  const kubernetes = new Map<string, Record<string, unknown>>();
  const graph = new Map<string, GraphServicePrincipal>();
  const requests: string[] = [];
  const refused: string[] = [];
  const tenants = new Map<string, string>();
  const tenantOfId = (id: string) => tenants.get(id.split("/")[2]?.toLowerCase() ?? "") ?? HOME_TENANT;
  let url = "";

  const send = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const armError = (res: import("node:http").ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { error: { code, message } });

  /** Stores a parent's inline children as resources of their own, as ARM does on a PUT. */
  function expandInline(record: ArmRecord): void {
    const kinds = INLINE[record.type.toLowerCase()];
    if (!kinds) return;
    for (const [prop, type] of Object.entries(kinds)) {
      const list = record.properties?.[prop];
      if (!Array.isArray(list)) continue;
      for (const child of list as ArmRecord[]) {
        if (!child || typeof child.name !== "string") continue;
        const id = `${record.id}/${prop}/${child.name}`;
        const stored: ArmRecord = {
          ...child,
          id,
          name: child.name,
          type,
          properties: { ...(child.properties ?? {}) },
        };
        stored.properties!.provisioningState = "Succeeded";
        resources.set(lower(id), stored);
        if (prop === "virtualNetworkPeerings") peeringStates(resources, stored);
      }
    }
  }

  /** A parent as ARM returns it: its current children inline. */
  function withInline(record: ArmRecord): ArmRecord {
    const kinds = INLINE[record.type.toLowerCase()];
    if (!kinds) return record;
    const properties = { ...(record.properties ?? {}) };
    for (const prop of Object.keys(kinds)) properties[prop] = collection(`${record.id}/${prop}`);
    return { ...record, properties };
  }

  function collection(path: string): ArmRecord[] {
    // A subscription-wide list, as ARM answers it.
    const bySubscription = subscriptionCollection(path);
    if (bySubscription)
      return [...resources.values()].filter((r) => inSubscriptionCollection(r, bySubscription));
    const prefix = lower(path) + "/";
    return [...resources.values()].filter((r) => {
      const id = lower(r.id);
      return id.startsWith(prefix) && !id.slice(prefix.length).includes("/");
    });
  }

  function roleAssignmentsAt(scope: string): ArmRecord[] {
    const s = lower(scope);
    return [...resources.values()].filter((r) => {
      if (r.type.toLowerCase() !== "microsoft.authorization/roleassignments") return false;
      const at = lower(String(r.properties?.scope ?? ""));
      return at === "/" || s === at || s.startsWith(at + "/");
    });
  }

  function handleArm(
    method: string,
    u: URL,
    body: Record<string, unknown> | undefined,
    res: import("node:http").ServerResponse,
  ) {
    const path = decodeURIComponent(u.pathname).replace(/\/+$/, "");
    const version = u.searchParams.get("api-version");
    // Role assignments at a scope: `<scope>/providers/Microsoft.Authorization/roleAssignments`.
    const ra = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments$/i.exec(path);
    if (
      !apiVersionAccepted(
        ra ? path + "/x" : path.replace(/\/(listCredentials|listClusterUserCredential)$/i, ""),
        version,
      )
    ) {
      refused.push(`${method} ${path}: api-version ${version} is not documented for ${armTypeOfPath(path)}`);
      return armError(res, 400, "InvalidApiVersionParameter", `The api-version '${version}' is invalid.`);
    }
    if (ra && method === "GET") {
      if (u.searchParams.get("$filter") !== "atScope()") {
        refused.push(`${method} ${path}: the suite's observer reads role assignments with $filter=atScope()`);
      }
      return send(res, 200, { value: roleAssignmentsAt(ra[1] || "/") });
    }
    if (method === "POST" && /\/listCredentials$/i.test(path)) {
      const registry = resources.get(lower(path.replace(/\/listCredentials$/i, "")));
      if (!registry) return armError(res, 404, "ResourceNotFound", "registry not found");
      if (registry.properties?.adminUserEnabled !== true) {
        return armError(
          res,
          400,
          "UnAuthorizedForCredentialOperations",
          "Cannot perform credential operations as admin user is disabled.",
        );
      }
      return send(res, 200, {
        username: registry.name,
        passwords: [
          { name: "password", value: `pw1-${guidFrom(registry.id, "admin1")}` },
          { name: "password2", value: `pw2-${guidFrom(registry.id, "admin2")}` },
        ],
      });
    }
    if (method === "POST" && /\/listClusterUserCredential$/i.test(path)) {
      const cluster = resources.get(lower(path.replace(/\/listClusterUserCredential$/i, "")));
      if (!cluster) return armError(res, 404, "ResourceNotFound", "cluster not found");
      const kubeconfig = [
        "apiVersion: v1",
        "kind: Config",
        `clusters:\n- name: ${cluster.name}\n  cluster:\n    server: ${url}/k8s/${cluster.name}`,
        `contexts:\n- name: ${cluster.name}\n  context:\n    cluster: ${cluster.name}\n    user: clusterUser`,
        `current-context: ${cluster.name}`,
        "users:\n- name: clusterUser\n  user:\n    token: fake-cluster-user-token",
        "",
      ].join("\n");
      return send(res, 200, {
        kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }],
      });
    }
    const key = lower(path);
    const subscription = /^\/subscriptions\/([^/]+)$/i.exec(path)?.[1];
    if (subscription && method === "GET") {
      // Subscriptions - Get: what the observer reads of it is its tenant.
      return send(res, 200, {
        id: `/subscriptions/${subscription}`,
        subscriptionId: subscription,
        tenantId: tenants.get(subscription.toLowerCase()) ?? HOME_TENANT,
        displayName: subscription,
        state: "Enabled",
        authorizationSource: "RoleBased",
      });
    }
    if (method === "GET") {
      const one = resources.get(key);
      if (one) return send(res, 200, atApiVersion(withInline(one), version));
      // A collection path has an even number of segments after `providers/NS` (or is `.../resourceGroups`).
      const list = collection(path);
      const isCollection = path.split("/").filter(Boolean).length % 2 === 1;
      if (isCollection) return send(res, 200, { value: list });
      return armError(res, 404, "ResourceNotFound", `The Resource '${path}' was not found.`);
    }
    if (method === "PUT") {
      const parent = parentOf(path);
      const parentType = armTypeOfPath(parent);
      if (
        parentType &&
        parentType.includes("/") &&
        !resources.has(lower(parent)) &&
        armTypeOfPath(path) !== "microsoft.authorization/roleassignments"
      ) {
        return armError(
          res,
          404,
          "ParentResourceNotFound",
          `Can not perform requested operation on nested resource. Parent resource '${parent}' not found.`,
        );
      }
      const segments = path.split("/");
      const existing = resources.get(key);
      const record: ArmRecord = {
        ...(existing ?? {}),
        ...(body ?? {}),
        id: existing?.id ?? path,
        name: segments[segments.length - 1],
        type: typeOfPath(path) ?? "",
        // What the API version has no field for, a PUT at it neither sets nor clears.
        properties: {
          ...unversioned(existing, version),
          ...(atApiVersion(
            { type: typeOfPath(path) ?? "", properties: body?.properties } as ArmRecord,
            version,
          ).properties ?? {}),
        },
      };
      computed(record, resources, tenantOfId);
      if (!existing) Object.assign(record.properties!, outside.get(key) ?? {});
      resources.set(key, record);
      expandInline(record);
      return send(res, existing ? 200 : 201, atApiVersion(withInline(record), version));
    }
    if (method === "DELETE") {
      const gone = resources.get(key);
      if (!gone) return send(res, 204, {});
      resources.delete(key);
      for (const k of [...resources.keys()]) if (k.startsWith(key + "/")) resources.delete(k);
      if (gone.type.toLowerCase() === "microsoft.network/virtualnetworks/virtualnetworkpeerings")
        peeringStates(resources, gone, true);
      return send(res, 200, {});
    }
    return armError(res, 405, "MethodNotAllowed", method);
  }

  /**
   * A registry's data plane at `/acr/<login server>/...`, as ACR answers it: the provider's token
   * exchanged for a refresh token, that for a pull-scoped access token, then manifests; an image's
   * manifest list built from the world's imagePlatforms records.
   */
  function handleRegistry(
    method: string,
    u: URL,
    raw: string,
    authorization: string | undefined,
    res: import("node:http").ServerResponse,
  ) {
    const m = /^\/acr\/([^/]+)(\/.*)$/.exec(decodeURIComponent(u.pathname));
    if (!m) return send(res, 404, {});
    const [, login, rest] = m;
    const form = new URLSearchParams(raw);
    const unauthorized = () =>
      send(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
    if (rest === "/oauth2/exchange" && method === "POST") {
      if (form.get("grant_type") !== "access_token" || form.get("service") !== login)
        return send(res, 400, {});
      if (!/^fake-token:/.test(form.get("access_token") ?? "")) return unauthorized();
      return send(res, 200, { refresh_token: `fake-acr-refresh:${login}` });
    }
    if (rest === "/oauth2/token" && method === "POST") {
      if (form.get("refresh_token") !== `fake-acr-refresh:${login}`) return unauthorized();
      const scope = /^repository:([^:]+):pull$/.exec(form.get("scope") ?? "");
      if (!scope) return send(res, 400, {});
      return send(res, 200, { access_token: `fake-acr-access:${login}:${scope[1]}` });
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(rest);
    if (!manifest || method !== "GET") return send(res, 404, {});
    const [, repository, reference] = manifest;
    if (authorization !== `Bearer fake-acr-access:${login}:${repository}`) return unauthorized();
    const image = `${login}/${repositoryReference(repository, reference)}`.toLowerCase();
    const record = [...resources.values()].find(
      (r) =>
        r.type.toLowerCase() === "microsoft.containerregistry/registries/imageplatforms" &&
        String(r.properties?.image ?? "").toLowerCase() === image,
    );
    if (!record)
      return send(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] });
    const platforms = (record.properties?.platforms as string[] | undefined) ?? [];
    return send(res, 200, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: platforms.map((p, i) => {
        const [os, architecture, variant] = p.split("/");
        return {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: `sha256:${crypto.createHash("sha256").update(`${image}|${i}`).digest("hex")}`,
          size: 1024,
          platform: { os, architecture, ...(variant ? { variant } : {}) },
        };
      }),
    });
  }

  function handleGraph(u: URL, res: import("node:http").ServerResponse) {
    const p = decodeURIComponent(u.pathname);
    const m = /^\/graph\/v1\.0\/(servicePrincipals|applications)\(appId='([^']+)'\)$/.exec(p);
    if (!m) return send(res, 404, { error: { code: "Request_ResourceNotFound" } });
    const sp = graph.get(m[2].toLowerCase());
    if (!sp) return send(res, 404, { error: { code: "Request_ResourceNotFound" } });
    if (m[1] === "applications")
      return send(res, 200, {
        id: guidFrom(sp.id, "app"),
        appId: sp.appId,
        displayName: sp.displayName,
        passwordCredentials: [],
      });
    return send(res, 200, sp);
  }

  function handleKube(
    method: string,
    u: URL,
    body: Record<string, unknown> | undefined,
    res: import("node:http").ServerResponse,
  ) {
    const key = decodeURIComponent(u.pathname).replace(/^\/k8s\//, "");
    if (method === "GET") {
      const o = kubernetes.get(key);
      return o ? send(res, 200, o) : send(res, 404, { kind: "Status", reason: "NotFound", code: 404 });
    }
    if (method === "PUT") {
      kubernetes.set(key, body ?? {});
      return send(res, 200, body);
    }
    if (method === "DELETE") {
      kubernetes.delete(key);
      return send(res, 200, { kind: "Status", status: "Success" });
    }
    return send(res, 405, {});
  }

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", url);
      const method = req.method ?? "GET";
      requests.push(`${method} ${decodeURIComponent(u.pathname)}${u.search}`);
      if (u.pathname.startsWith("/acr/"))
        return handleRegistry(
          method,
          u,
          Buffer.concat(chunks).toString("utf8"),
          req.headers.authorization,
          res,
        );
      let body: Record<string, unknown> | undefined;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      } catch {
        return send(res, 400, { error: { code: "InvalidRequestContent" } });
      }
      if (u.pathname === "/metadata/endpoints") {
        return send(res, 200, {
          name: "AksAcrGuardEngineSuite",
          resourceManager: `${url}/`,
          microsoftGraphResourceId: `${url}/graph/`,
          authentication: { loginEndpoint: `${url}/login/`, audiences: [`${url}/`] },
          suffixes: { acrLoginServer: "azurecr.io" },
        });
      }
      if (u.pathname.startsWith("/k8s/")) return handleKube(method, u, body, res);
      if (!/^Bearer fake-token:/.test(req.headers.authorization ?? "")) {
        refused.push(`${method} ${u.pathname}: no bearer token from the provider's credentials`);
        return send(res, 401, { error: { code: "AuthenticationFailed" } });
      }
      if (u.pathname.startsWith("/graph/")) return handleGraph(u, res);
      return handleArm(method, u, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  url = `https://${host}`;
  return {
    host,
    url,
    requests,
    refused,
    resources,
    kubernetes,
    tenants,
    changeOutside(changes) {
      for (const c of changes) outside.set(lower(c.id), c.properties);
    },
    seed(records) {
      for (const r of records) {
        if (r.type.toLowerCase() === "microsoft.graph/serviceprincipals") {
          const p = r.properties ?? {};
          graph.set(String(p.appId).toLowerCase(), {
            id: String(p.objectId),
            appId: String(p.appId),
            displayName: String(p.displayName ?? r.name),
            passwordCredentials: ((p.passwordCredentials as Record<string, unknown>[]) ?? []).map((c) => ({
              ...c,
              hint: "Can",
              secretText: null,
            })),
          });
        } else {
          const record = structuredClone(r);
          resources.set(lower(r.id), record);
          expandInline(record);
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
