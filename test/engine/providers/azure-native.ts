/**
 * The emulated azure-native provider: what the real one does, on the fake Azure. Inputs are
 * azure-native's (ARM path parameters such as `resourceGroupName` plus the resource's properties
 * flattened to the top level); outputs are the ARM response flattened, without path parameters,
 * with `azureApiVersion`. During preview, Create and Update return azure-native's preview shape:
 * the inputs, and every output that is not an input unknown (`id`, `name` on create, a cluster's
 * `identityProfile`, `fqdn`, `identity.principalId`, a registry's `loginServer`, ...). ARM's
 * endpoint comes from the provider's `metadataHost` config, as it does for Azure Stack and sovereign
 * clouds; the real provider's `environment` values are refused, since no real cloud is reachable.
 */
import { request, serve, typeOfUrn, Props, Emulation } from "./server";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** ARM keys that stay at the top level of a PUT body; every other input is a property. */
export const TOP_LEVEL = new Set([
  "location",
  "tags",
  "sku",
  "identity",
  "kind",
  "zones",
  "extendedLocation",
  "plan",
]);

interface Spec {
  /** ARM path after `/providers/`: literal segments and `{param}` for a path parameter. */
  path: string;
  /** `scope` is the ARM scope the resource lives at (role assignments, role definitions). */
  scoped?: boolean;
  apiVersion: string;
  /** Outputs the service computes: unknown in a preview unless the inputs set them. */
  computed?: string[];
  /** Outputs always unknown in a preview, even where an input of the same name is given. */
  alwaysUnknown?: string[];
}

const NETWORK = "2024-05-01";
const SPECS: Record<string, Spec> = {
  "containerservice:ManagedCluster": {
    path: "Microsoft.ContainerService/managedClusters/{resourceName}",
    apiVersion: "2024-10-01",
    computed: [
      "fqdn",
      "nodeResourceGroup",
      "azurePortalFQDN",
      "powerState",
      "currentKubernetesVersion",
      "maxAgentPools",
      "privateFQDN",
      "oidcIssuerProfile",
    ],
    alwaysUnknown: ["identityProfile"],
  },
  "containerservice:AgentPool": {
    path: "Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{agentPoolName}",
    apiVersion: "2024-10-01",
    computed: ["nodeImageVersion", "currentOrchestratorVersion"],
  },
  "containerregistry:Registry": {
    path: "Microsoft.ContainerRegistry/registries/{registryName}",
    apiVersion: "2023-07-01",
    computed: [
      "loginServer",
      "creationDate",
      "status",
      "dataEndpointHostNames",
      "privateEndpointConnections",
    ],
  },
  "authorization:RoleAssignment": {
    path: "Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
    scoped: true,
    apiVersion: "2022-04-01",
    computed: ["createdOn", "updatedOn", "createdBy", "updatedBy"],
  },
  "authorization:RoleDefinition": {
    path: "Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
    scoped: true,
    apiVersion: "2022-04-01",
  },
  "managedidentity:UserAssignedIdentity": {
    path: "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    apiVersion: "2023-01-31",
    computed: ["principalId", "clientId", "tenantId"],
  },
  "resources:ResourceGroup": { path: "", apiVersion: "2021-04-01" },
  "compute:VirtualMachineScaleSet": {
    path: "Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}",
    apiVersion: "2024-07-01",
    computed: ["uniqueId"],
  },
  "network:VirtualNetwork": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    apiVersion: NETWORK,
    computed: ["resourceGuid"],
  },
  "network:Subnet": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
    apiVersion: NETWORK,
  },
  "network:VirtualNetworkPeering": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}",
    apiVersion: NETWORK,
    computed: ["peeringState", "peeringSyncLevel", "resourceGuid"],
  },
  "network:PrivateEndpoint": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    apiVersion: NETWORK,
    computed: ["networkInterfaces", "customDnsConfigs"],
  },
  "network:PrivateDnsZoneGroup": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
    apiVersion: NETWORK,
  },
  "network:PublicIPAddress": {
    path: "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
    apiVersion: NETWORK,
    computed: ["ipAddress", "resourceGuid"],
  },
  "network:NatGateway": { path: "Microsoft.Network/natGateways/{natGatewayName}", apiVersion: NETWORK },
  "network:AzureFirewall": {
    path: "Microsoft.Network/azureFirewalls/{azureFirewallName}",
    apiVersion: NETWORK,
  },
  "network:FirewallPolicy": {
    path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}",
    apiVersion: NETWORK,
  },
  "network:FirewallPolicyRuleCollectionGroup": {
    path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}/ruleCollectionGroups/{ruleCollectionGroupName}",
    apiVersion: NETWORK,
  },
  "network:NetworkSecurityGroup": {
    path: "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
    apiVersion: NETWORK,
  },
  "network:RouteTable": { path: "Microsoft.Network/routeTables/{routeTableName}", apiVersion: NETWORK },
  "privatedns:PrivateZone": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}",
    apiVersion: "2024-06-01",
  },
  "privatedns:VirtualNetworkLink": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
    apiVersion: "2024-06-01",
    computed: ["virtualNetworkLinkState"],
  },
  "privatedns:PrivateRecordSet": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}/{recordType}/{relativeRecordSetName}",
    apiVersion: "2024-06-01",
    computed: ["fqdn"],
  },
};

/** `azure-native:containerregistry/v20251101:Registry` -> `containerregistry:Registry`. */
export function specKey(token: string): string {
  const [, module = "", type = ""] = token.split(":");
  return `${module.split("/")[0]}:${type}`;
}

function specOf(token: string): Spec {
  const spec = SPECS[specKey(token)];
  if (!spec) throw new Error(`the emulated azure-native provider does not know ${token}`);
  return spec;
}

const paramsOf = (spec: Spec) => [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
/** Inputs that only address the resource: never in its body or its outputs. */
const pathInputs = (spec: Spec) => new Set([...paramsOf(spec), "resourceGroupName"]);
const isUnknown = (v: unknown): boolean =>
  v === UNKNOWN ||
  (Array.isArray(v)
    ? v.some(isUnknown)
    : v !== null && typeof v === "object" && Object.values(v).some(isUnknown));

let subscriptionId = "";
let resourceManager = "";
let configured = false;

/** The ARM id the inputs address. */
export function armIdOf(token: string, inputs: Props, subscription: string): string {
  const spec = specOf(token);
  const need = (k: string) => {
    const v = inputs[k];
    if (typeof v !== "string" || v === "") throw new Error(`${token}: missing required input ${k}`);
    return v;
  };
  if (specKey(token) === "resources:ResourceGroup")
    return `/subscriptions/${subscription}/resourceGroups/${need("resourceGroupName")}`;
  const tail = spec.path.replace(/\{(\w+)\}/g, (_m, k: string) => need(k));
  const base = spec.scoped
    ? need("scope").replace(/\/+$/, "")
    : `/subscriptions/${subscription}/resourceGroups/${need("resourceGroupName")}`;
  return `${base}/providers/${tail}`;
}

/** Whether the emulated provider knows a token. */
export const knows = (token: string): boolean => SPECS[specKey(token)] !== undefined;

/**
 * The path inputs an ARM id holds for a token (`armIdOf`'s inverse): `resourceGroupName` (or
 * `scope`) and each `{param}` of the token's path template, matched segment by segment.
 */
export function armParamsOf(token: string, id: string): Props {
  const spec = specOf(token);
  const parts = id.split("/").filter(Boolean);
  if (specKey(token) === "resources:ResourceGroup") return { resourceGroupName: parts[3] };
  const at = parts.map((p) => p.toLowerCase()).lastIndexOf("providers");
  const template = spec.path.split("/");
  const tail = parts.slice(at + 1);
  if (at < 0 || tail.length !== template.length) throw new Error(`${id} is not an id of ${token}`);
  const params: Props = spec.scoped
    ? { scope: "/" + parts.slice(0, at).join("/") }
    : { resourceGroupName: parts[3] };
  template.forEach((seg, i) => {
    const m = /^\{(\w+)\}$/.exec(seg);
    if (m) params[m[1]] = tail[i];
  });
  return params;
}

/** The ARM PUT body: top-level keys kept, every other non-path input under `properties`. */
export function armBody(token: string, inputs: Props): Props {
  const spec = specOf(token);
  const path = pathInputs(spec);
  const body: Props = {};
  const properties: Props = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (path.has(k)) continue;
    if (TOP_LEVEL.has(k)) body[k] = v;
    else properties[k] = v;
  }
  return { ...body, properties };
}

/** azure-native's outputs: the ARM record with `properties` flattened, and the API version. */
function outputsOf(token: string, record: Props): Props {
  const { properties, ...rest } = record;
  return { ...rest, ...((properties as Props) ?? {}), azureApiVersion: specOf(token).apiVersion };
}

/** azure-native's preview of a create or an update: inputs, and the rest unknown. */
function previewOutputs(token: string, inputs: Props, old?: Props): Props {
  const spec = specOf(token);
  const path = pathInputs(spec);
  const out: Props = {};
  for (const [k, v] of Object.entries(inputs)) if (!path.has(k)) out[k] = v;
  out.id = UNKNOWN;
  out.name = old?.name ?? UNKNOWN;
  out.type = UNKNOWN;
  out.provisioningState = UNKNOWN;
  out.azureApiVersion = spec.apiVersion;
  if (old?.location !== undefined && out.location === undefined) out.location = old.location;
  for (const k of spec.computed ?? []) if (out[k] === undefined) out[k] = UNKNOWN;
  for (const k of spec.alwaysUnknown ?? []) out[k] = UNKNOWN;
  if (out.identity && typeof out.identity === "object" && !isUnknown(out.identity)) {
    const identity = { ...(out.identity as Props) };
    if (
      String(identity.type ?? "")
        .toLowerCase()
        .includes("systemassigned")
    ) {
      identity.principalId = UNKNOWN;
      identity.tenantId = UNKNOWN;
    }
    out.identity = identity;
  }
  return out;
}

async function arm(
  method: string,
  id: string,
  apiVersion: string,
  body?: unknown,
): Promise<{ status: number; body: Props }> {
  if (!configured) throw new Error("the emulated azure-native provider was not configured");
  const sep = id.includes("?") ? "&" : "?";
  const res = await request(
    method,
    `${resourceManager.replace(/\/$/, "")}${id}${sep}api-version=${apiVersion}`,
    body,
    {
      authorization: `Bearer fake-token:${resourceManager}`,
    },
  );
  if (res.status >= 400 && res.status !== 404) {
    const err = (res.body.error ?? {}) as Props;
    throw new Error(`${method} ${id}: ${res.status} ${String(err.code)}: ${String(err.message)}`);
  }
  return res;
}

const emulation: Emulation = {
  name: "azure-native",
  version: "3.28.0",
  async configure(config) {
    const host = config.metadataHost;
    if (typeof host !== "string" || host === "" || host === UNKNOWN) {
      throw new Error(
        "the emulated azure-native provider needs azure-native:metadataHost (there is no real Azure here)",
      );
    }
    const md = await request("GET", `https://${host}/metadata/endpoints?api-version=2022-09-01`);
    resourceManager = String(md.body.resourceManager);
    subscriptionId = String(config.subscriptionId ?? process.env.ARM_SUBSCRIPTION_ID ?? "");
    if (!/^[0-9a-f-]{36}$/i.test(subscriptionId))
      throw new Error(
        `azure-native:subscriptionId ${JSON.stringify(subscriptionId)} is not a subscription id`,
      );
    configured = true;
  },
  async diff(_id, urn, oldInputs, _oldOutputs, news) {
    const spec = specOf(typeOfUrn(urn));
    const keys = new Set([...Object.keys(oldInputs), ...Object.keys(news)]);
    const changed = [...keys].filter(
      (k) => isUnknown(news[k]) || JSON.stringify(oldInputs[k]) !== JSON.stringify(news[k]),
    );
    const replaceOn = new Set([
      ...paramsOf(spec),
      "resourceGroupName",
      "location",
      ...(spec.scoped ? ["scope"] : []),
    ]);
    return { changes: changed.length > 0, replaces: changed.filter((k) => replaceOn.has(k)) };
  },
  async create(urn, inputs, preview) {
    const token = typeOfUrn(urn);
    if (preview) return { id: "", outputs: previewOutputs(token, inputs) };
    const id = armIdOf(token, inputs, subscriptionId);
    const spec = specOf(token);
    // azure-native refuses to create what exists: the user is told to import it.
    const existing = await arm("GET", id, spec.apiVersion);
    if (existing.status !== 404)
      throw new Error(`resource ${id} already exists; to import it, use the import option`);
    const put = await arm("PUT", id, spec.apiVersion, armBody(token, inputs));
    return { id, outputs: outputsOf(token, put.body) };
  },
  async read(id, urn, _state, inputs) {
    const token = typeOfUrn(urn);
    const got = await arm("GET", id, specOf(token).apiVersion);
    if (got.status === 404) return undefined;
    return { id, outputs: outputsOf(token, got.body), inputs };
  },
  async update(id, urn, oldOutputs, news, preview) {
    const token = typeOfUrn(urn);
    if (preview) return previewOutputs(token, news, oldOutputs);
    const put = await arm("PUT", id, specOf(token).apiVersion, armBody(token, news));
    return outputsOf(token, put.body);
  },
  async delete(id, urn) {
    await arm("DELETE", id, specOf(typeOfUrn(urn)).apiVersion);
  },
  async invoke(token, args) {
    switch (token) {
      case "azure-native:authorization:getClientToken":
        return { token: `fake-token:${typeof args.endpoint === "string" ? args.endpoint : resourceManager}` };
      case "azure-native:authorization:getClientConfig":
        return {
          clientId: "0b5c3f2e-8d1a-4c6b-9e7f-1a2b3c4d5e6f",
          objectId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
          subscriptionId,
          tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        };
      case "azure-native:containerregistry:listRegistryCredentials": {
        const id = `/subscriptions/${subscriptionId}/resourceGroups/${String(args.resourceGroupName)}/providers/Microsoft.ContainerRegistry/registries/${String(args.registryName)}`;
        return (await arm("POST", `${id}/listCredentials`, "2023-07-01")).body;
      }
      case "azure-native:containerservice:listManagedClusterUserCredentials": {
        const id = `/subscriptions/${subscriptionId}/resourceGroups/${String(args.resourceGroupName)}/providers/Microsoft.ContainerService/managedClusters/${String(args.resourceName)}`;
        return (await arm("POST", `${id}/listClusterUserCredential`, "2024-10-01")).body;
      }
    }
    const get = /^azure-native:([\w/]+):get(\w+)$/.exec(token);
    if (get && SPECS[specKey(`azure-native:${get[1]}:${get[2]}`)]) {
      const t = `azure-native:${get[1]}:${get[2]}`;
      const got = await arm("GET", armIdOf(t, args, subscriptionId), specOf(t).apiVersion);
      if (got.status === 404) throw new Error(`${token}: not found`);
      return outputsOf(t, got.body);
    }
    throw new Error(`the emulated azure-native provider does not implement ${token}`);
  },
};

if (require.main === module) void serve(emulation);
