/**
 * Resource type tokens. azure-native registers every resource under its default token
 * (`azure-native:containerregistry:Registry`) and under one token per API version
 * (`azure-native:containerregistry/v20251101:Registry`); a stack may use either, so resources are
 * matched by module and type name, never by the whole token.
 */
export type ResourceKind =
  | "managedCluster"
  | "agentPool"
  | "registry"
  | "roleAssignment"
  | "roleDefinition"
  | "userAssignedIdentity"
  | "resourceGroup"
  | "servicePrincipal"
  | "application"
  | "kubernetesProvider"
  | "privateEndpoint"
  | "virtualMachineScaleSet"
  | "servicePrincipalPassword"
  | "group"
  | "groupMember"
  | "applicationPassword"
  | "registryCredentials"
  | "registryToken"
  | "imagePlatforms"
  | "virtualNetwork"
  | "subnet"
  | "virtualNetworkPeering"
  | "privateZone"
  | "virtualNetworkLink"
  | "privateRecordSet"
  | "privateDnsZoneGroup"
  | "publicIPAddress"
  | "natGateway"
  | "azureFirewall"
  | "firewallPolicyRuleCollectionGroup"
  | "ipGroup"
  | "networkSecurityGroup"
  | "routeTable";

const AZURE_NATIVE: Record<string, ResourceKind> = {
  "containerservice:managedcluster": "managedCluster",
  "containerservice:agentpool": "agentPool",
  "containerregistry:registry": "registry",
  "containerregistry:token": "registryToken",
  "authorization:roleassignment": "roleAssignment",
  "authorization:roledefinition": "roleDefinition",
  "managedidentity:userassignedidentity": "userAssignedIdentity",
  "resources:resourcegroup": "resourceGroup",
  "network:privateendpoint": "privateEndpoint",
  "compute:virtualmachinescaleset": "virtualMachineScaleSet",
  "network:virtualnetwork": "virtualNetwork",
  "network:subnet": "subnet",
  "network:virtualnetworkpeering": "virtualNetworkPeering",
  "privatedns:privatezone": "privateZone",
  "privatedns:virtualnetworklink": "virtualNetworkLink",
  "privatedns:privaterecordset": "privateRecordSet",
  "network:privatednszonegroup": "privateDnsZoneGroup",
  "network:publicipaddress": "publicIPAddress",
  "network:natgateway": "natGateway",
  "network:azurefirewall": "azureFirewall",
  "network:firewallpolicyrulecollectiongroup": "firewallPolicyRuleCollectionGroup",
  "network:ipgroup": "ipGroup",
  "network:networksecuritygroup": "networkSecurityGroup",
  "network:routetable": "routeTable",
};

const OTHER: Record<string, ResourceKind> = {
  "azuread:index/serviceprincipal:serviceprincipal": "servicePrincipal",
  "azuread:index/application:application": "application",
  "azuread:index/serviceprincipalpassword:serviceprincipalpassword": "servicePrincipalPassword",
  "azuread:index/applicationpassword:applicationpassword": "applicationPassword",
  "azuread:index/group:group": "group",
  "azuread:index/groupmember:groupmember": "groupMember",
  "aks-acr-guard:observed:registrycredentials": "registryCredentials",
  "aks-acr-guard:observed:imageplatforms": "imagePlatforms",
  "pulumi:providers:kubernetes": "kubernetesProvider",
};

const AZURE_NATIVE_TOKEN = /^azure-native:([a-z0-9]+)(?:\/v[0-9a-z]+)?:([a-z0-9]+)$/;

const cache = new Map<string, ResourceKind | undefined>();

/** The kind of resource a type token names, or undefined for types this package does not read. */
export function kindOf(type: string): ResourceKind | undefined {
  if (cache.has(type)) return cache.get(type);
  const lower = type.toLowerCase();
  const m = AZURE_NATIVE_TOKEN.exec(lower);
  const kind = m ? AZURE_NATIVE[`${m[1]}:${m[2]}`] : OTHER[lower];
  cache.set(type, kind);
  return kind;
}
