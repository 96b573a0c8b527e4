/**
 * ARM resource types (as Azure Resource Graph returns them, lower-cased) and the azure-native
 * token a program declares each with. Observed state (the AksAcrObserver component's outputs) and
 * recorded environments are ARM JSON; this map lets policies read them like declared resources.
 */
/** An ARM resource as ARM and Azure Resource Graph return it: observed state and recordings alike. */
export interface ArmRecord {
  id: string;
  name: string;
  type: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export const ARM_TYPE_TOKENS: Record<string, string> = {
  "microsoft.containerservice/managedclusters": "azure-native:containerservice:ManagedCluster",
  "microsoft.containerservice/managedclusters/agentpools": "azure-native:containerservice:AgentPool",
  "microsoft.containerregistry/registries": "azure-native:containerregistry:Registry",
  "microsoft.containerregistry/registries/tokens": "azure-native:containerregistry:Token",
  "microsoft.authorization/roleassignments": "azure-native:authorization:RoleAssignment",
  "microsoft.authorization/roledefinitions": "azure-native:authorization:RoleDefinition",
  "microsoft.managedidentity/userassignedidentities": "azure-native:managedidentity:UserAssignedIdentity",
  "microsoft.resources/resourcegroups": "azure-native:resources:ResourceGroup",
  "microsoft.compute/virtualmachinescalesets": "azure-native:compute:VirtualMachineScaleSet",
  "microsoft.network/privateendpoints": "azure-native:network:PrivateEndpoint",
  "microsoft.network/virtualnetworks": "azure-native:network:VirtualNetwork",
  "microsoft.network/virtualnetworks/subnets": "azure-native:network:Subnet",
  "microsoft.network/virtualnetworks/virtualnetworkpeerings": "azure-native:network:VirtualNetworkPeering",
  "microsoft.network/privatednszones": "azure-native:privatedns:PrivateZone",
  "microsoft.network/privatednszones/virtualnetworklinks": "azure-native:privatedns:VirtualNetworkLink",
  "microsoft.network/privatednszones/a": "azure-native:privatedns:PrivateRecordSet",
  "microsoft.network/privateendpoints/privatednszonegroups": "azure-native:network:PrivateDnsZoneGroup",
  "microsoft.network/publicipaddresses": "azure-native:network:PublicIPAddress",
  "microsoft.network/natgateways": "azure-native:network:NatGateway",
  "microsoft.network/azurefirewalls": "azure-native:network:AzureFirewall",
  "microsoft.network/firewallpolicies/rulecollectiongroups":
    "azure-native:network:FirewallPolicyRuleCollectionGroup",
  "microsoft.network/networksecuritygroups": "azure-native:network:NetworkSecurityGroup",
  "microsoft.network/ipgroups": "azure-native:network:IpGroup",
  "microsoft.network/routetables": "azure-native:network:RouteTable",
  // Not ARM: Microsoft Graph, as the observer records a service principal's credentials.
  "microsoft.graph/serviceprincipals": "azuread:index/servicePrincipal:ServicePrincipal",
  // Not ARM: a registry's admin credentials as `listCredentials` returns them, passwords hashed.
  "microsoft.containerregistry/registries/credentials": "aks-acr-guard:observed:RegistryCredentials",
  // Not ARM: the platforms an image's manifest offers, as the registry's data plane answers.
  "microsoft.containerregistry/registries/imageplatforms": "aks-acr-guard:observed:ImagePlatforms",
};

/** An ARM resource as azure-native registers its outputs: `properties` flattened into the top level. */
export function flattenArm(r: Record<string, unknown>): Record<string, unknown> {
  const { properties, ...rest } = r;
  return {
    ...rest,
    ...(properties && typeof properties === "object" ? (properties as Record<string, unknown>) : {}),
  };
}

export function tokenOfArmType(type: unknown): string | undefined {
  return typeof type === "string" ? ARM_TYPE_TOKENS[type.toLowerCase()] : undefined;
}

/** Each subscription's tenant (lower case), as records carry it (Resource Graph gives every row a `tenantId`). */
export function subscriptionTenants(records: readonly ArmRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    const sub = /^\/subscriptions\/([^/]+)/i.exec(r.id)?.[1]?.toLowerCase();
    if (sub && typeof r.tenantId === "string" && r.tenantId && !out.has(sub))
      out.set(sub, r.tenantId.toLowerCase());
  }
  return out;
}
