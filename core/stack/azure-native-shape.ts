/**
 * The shape of azure-native's resources for each type this package reads, as the provider's schema
 * and its preview give them:
 * - the ARM path after `/providers/`, with a `{param}` for each path input (`registryName`,
 *   `virtualNetworkName`, ...). Path inputs are inputs, never outputs: a program gives
 *   `resourceGroupName` and `registryName`; the resource's outputs give `id` instead;
 * - the outputs the service computes, unknown in a preview unless an input sets them.
 * The offline preview uses it to send what the engine sends (a recorded resource's inputs to
 * Analyze, a planned resource's preview outputs to AnalyzeStack); the engine suite's emulated
 * provider uses it to build and read ARM ids and to shape its previews.
 */
import { ArmRecord } from "./arm-types";
import { UNKNOWN_WIRE_VALUE } from "./values";

interface ArmShape {
  /** ARM path after `/providers/`: literal segments and `{param}` for a path input. */
  path: string;
  /** Lives at an arbitrary ARM `scope` (role assignments and definitions), not in a resource group. */
  scoped?: boolean;
  /** Outputs the service computes: unknown in a preview unless the inputs set them. */
  computed?: string[];
  /** Outputs unknown in every preview, even where an input of the same name is given. */
  alwaysUnknown?: string[];
}

export const ARM_SHAPES: Record<string, ArmShape> = {
  "containerservice:ManagedCluster": {
    path: "Microsoft.ContainerService/managedClusters/{resourceName}",
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
    computed: ["nodeImageVersion", "currentOrchestratorVersion"],
  },
  "containerregistry:Registry": {
    path: "Microsoft.ContainerRegistry/registries/{registryName}",
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
    computed: ["createdOn", "updatedOn", "createdBy", "updatedBy"],
  },
  "authorization:RoleDefinition": {
    path: "Microsoft.Authorization/roleDefinitions/{roleDefinitionId}",
    scoped: true,
  },
  "managedidentity:UserAssignedIdentity": {
    path: "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    computed: ["principalId", "clientId", "tenantId"],
  },
  "resources:ResourceGroup": { path: "" },
  "compute:VirtualMachineScaleSet": {
    path: "Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}",
    computed: ["uniqueId"],
  },
  "network:VirtualNetwork": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    computed: ["resourceGuid"],
  },
  "network:Subnet": { path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}" },
  "network:VirtualNetworkPeering": {
    path: "Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}",
    computed: ["peeringState", "peeringSyncLevel", "resourceGuid"],
  },
  "network:PrivateEndpoint": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    computed: ["networkInterfaces", "customDnsConfigs"],
  },
  "network:PrivateDnsZoneGroup": {
    path: "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
  },
  "network:PublicIPAddress": {
    path: "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
    computed: ["ipAddress", "resourceGuid"],
  },
  "network:NatGateway": { path: "Microsoft.Network/natGateways/{natGatewayName}" },
  "network:AzureFirewall": { path: "Microsoft.Network/azureFirewalls/{azureFirewallName}" },
  "network:FirewallPolicy": { path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}" },
  "network:FirewallPolicyRuleCollectionGroup": {
    path: "Microsoft.Network/firewallPolicies/{firewallPolicyName}/ruleCollectionGroups/{ruleCollectionGroupName}",
  },
  "network:NetworkSecurityGroup": {
    path: "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
  },
  "network:RouteTable": { path: "Microsoft.Network/routeTables/{routeTableName}" },
  "privatedns:PrivateZone": { path: "Microsoft.Network/privateDnsZones/{privateZoneName}" },
  "privatedns:VirtualNetworkLink": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
    computed: ["virtualNetworkLinkState"],
  },
  "privatedns:PrivateRecordSet": {
    path: "Microsoft.Network/privateDnsZones/{privateZoneName}/{recordType}/{relativeRecordSetName}",
    computed: ["fqdn"],
  },
};

/** ARM keys that stay at the top level of a resource (and of a PUT body); every other input is a property. */
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

/** `azure-native:containerregistry/v20251101:Registry` -> `containerregistry:Registry`. */
export function armPathKey(token: string): string {
  const [, module = "", type = ""] = token.split(":");
  return `${module.split("/")[0]}:${type}`;
}

/** The shape of an azure-native token, if this package knows it. */
export const armShapeOf = (token: string): ArmShape | undefined =>
  token.startsWith("azure-native:") ? ARM_SHAPES[armPathKey(token)] : undefined;

function pathOf(token: string): ArmShape {
  const p = armShapeOf(token);
  if (!p) throw new Error(`no ARM path known for ${token}`);
  return p;
}

/**
 * The inputs that only address a resource, never among its outputs: each `{param}`, and
 * `resourceGroupName`. A scoped resource's `scope` is the exception: it is an output too.
 */
export function pathInputsOf(token: string): string[] {
  const p = pathOf(token);
  const params = [...p.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  return p.scoped ? params : [...params, "resourceGroupName"];
}

/** The ARM id a resource's inputs address in a subscription. */
export function armIdOf(token: string, inputs: Record<string, unknown>, subscription: string): string {
  const p = pathOf(token);
  const need = (k: string) => {
    const v = inputs[k];
    if (typeof v !== "string" || v === "") throw new Error(`${token}: missing required input ${k}`);
    return v;
  };
  if (p.path === "") return `/subscriptions/${subscription}/resourceGroups/${need("resourceGroupName")}`;
  const tail = p.path.replace(/\{(\w+)\}/g, (_m, k: string) => need(k));
  const base = p.scoped
    ? need("scope").replace(/\/+$/, "")
    : `/subscriptions/${subscription}/resourceGroups/${need("resourceGroupName")}`;
  return `${base}/providers/${tail}`;
}

/**
 * The path inputs an ARM id holds for a token (`armIdOf`'s inverse): `resourceGroupName` (or
 * `scope`) and each `{param}` of the token's path, matched segment by segment.
 */
export function armParamsOf(token: string, id: string): Record<string, string> {
  const p = pathOf(token);
  const parts = id.split("/").filter(Boolean);
  if (p.path === "") return { resourceGroupName: parts[3] };
  const at = parts.map((s) => s.toLowerCase()).lastIndexOf("providers");
  const template = p.path.split("/");
  const tail = parts.slice(at + 1);
  const fits =
    at >= 0 &&
    tail.length === template.length &&
    template.every((seg, i) => /^\{\w+\}$/.test(seg) || seg.toLowerCase() === tail[i].toLowerCase());
  if (!fits) throw new Error(`${id} is not an id of ${token}`);
  const params: Record<string, string> = p.scoped
    ? { scope: "/" + parts.slice(0, at).join("/") }
    : { resourceGroupName: parts[3] };
  template.forEach((seg, i) => {
    const m = /^\{(\w+)\}$/.exec(seg);
    if (m) params[m[1]] = tail[i];
  });
  return params;
}

/**
 * What a program declaring an ARM record with azure-native gives as inputs: the record's top-level
 * keys (`location`, `sku`, `identity`, ...), its properties flattened, and the path inputs its id
 * holds. Never `id`, `name` or `type`, which are outputs.
 */
export function armInputsOf(token: string, record: ArmRecord): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (TOP_LEVEL.has(k)) inputs[k] = v;
  return { ...inputs, ...(record.properties ?? {}), ...armParamsOf(token, record.id) };
}

/** Whether a value holds an unknown at any depth, as the engine sends one. */
export const holdsUnknown = (v: unknown): boolean =>
  v === UNKNOWN_WIRE_VALUE ||
  (Array.isArray(v)
    ? v.some(holdsUnknown)
    : v !== null && typeof v === "object" && Object.values(v).some(holdsUnknown));

/**
 * azure-native's preview of a create (`old` absent) or an update (`old`: the outputs before): the
 * inputs without path inputs, `id`, `type` and `provisioningState` unknown, `name` unknown on a
 * create, every computed output the inputs do not set unknown, and a system-assigned identity's
 * `principalId` unknown.
 */
export function previewOutputsOf(
  token: string,
  inputs: Record<string, unknown>,
  old?: Record<string, unknown>,
): Record<string, unknown> {
  const shape = pathOf(token);
  const path = new Set(pathInputsOf(token));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) if (!path.has(k)) out[k] = v;
  out.id = UNKNOWN_WIRE_VALUE;
  out.name = old?.name ?? UNKNOWN_WIRE_VALUE;
  out.type = UNKNOWN_WIRE_VALUE;
  out.provisioningState = UNKNOWN_WIRE_VALUE;
  if (old?.location !== undefined && out.location === undefined) out.location = old.location;
  for (const k of shape.computed ?? []) if (out[k] === undefined) out[k] = UNKNOWN_WIRE_VALUE;
  for (const k of shape.alwaysUnknown ?? []) out[k] = UNKNOWN_WIRE_VALUE;
  const identity = out.identity;
  if (identity && typeof identity === "object" && !holdsUnknown(identity)) {
    const type = String((identity as Record<string, unknown>).type ?? "").toLowerCase();
    if (type.includes("systemassigned"))
      out.identity = { ...identity, principalId: UNKNOWN_WIRE_VALUE, tenantId: UNKNOWN_WIRE_VALUE };
  }
  return out;
}
