/**
 * `npm run scenarios`: writes the recorded environments in `scenarios/` (other than the
 * hand-written `kubelet-without-acrpull`): a healthy public registry, a healthy hub-and-spoke
 * private link, and one broken environment per cause of CAUSES.md, each with what the policy pack
 * must find before and after the program's plan (`expected.json`) and why (`README.md`).
 * Expectations are stated here from the cause, never taken from a run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { imagePlatformsRecord } from "../components/azure/records";
import {
  aRecordRow,
  armRecord as rec,
  ArmRow as Rec,
  assignmentRow,
  clusterRow,
  firewallRow,
  networkRule,
  nsgRow,
  outbound443Rule,
  inlinePeering,
  privateEndpointRow,
  publicIpRow,
  registryRow,
  routeTableRow,
  ruleCollectionGroupRow,
  ROLE as ROLES,
  roleDefinitionId,
  scaleSetRow,
  servicePrincipalRow,
  SUBSCRIPTION as SUB,
  TENANT,
  vnetLinkRow,
  vnetRow,
  zoneGroupRow,
  zoneRow,
} from "../test/fixtures/arm";
const NODE_RG = "MC_rg-aks_aks-prod_westeurope";
const rg = (g: string) => `/subscriptions/${SUB}/resourceGroups/${g}`;
const id = (g: string, type: string, name: string) => `${rg(g)}/providers/${type}/${name}`;

const IDS = {
  cluster: id("rg-aks", "Microsoft.ContainerService/managedClusters", "aks-prod"),
  registry: id("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr"),
  kubelet: id(NODE_RG, "Microsoft.ManagedIdentity/userAssignedIdentities", "aks-prod-agentpool"),
  spoke: id("rg-aks", "Microsoft.Network/virtualNetworks", "vnet-aks"),
  hub: id("rg-hub", "Microsoft.Network/virtualNetworks", "vnet-hub"),
  pe: id("rg-hub", "Microsoft.Network/privateEndpoints", "pe-contosoacr"),
  zone: id("rg-dns", "Microsoft.Network/privateDnsZones", "privatelink.azurecr.io"),
  outboundIp: id(NODE_RG, "Microsoft.Network/publicIPAddresses", "aks-outbound-ip"),
  firewallPolicy: id("rg-hub", "Microsoft.Network/firewallPolicies", "fw-policy"),
  firewall: id("rg-hub", "Microsoft.Network/azureFirewalls", "fw-hub"),
  firewallIp: id("rg-hub", "Microsoft.Network/publicIPAddresses", "fw-hub-ip"),
  nsg: id("rg-aks", "Microsoft.Network/networkSecurityGroups", "nsg-nodes"),
  routeTable: id("rg-aks", "Microsoft.Network/routeTables", "rt-nodes"),
};
const KUBELET_OID = "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b";
const CONTROL_PLANE_OID = "e8d7c6b5-a493-4281-8f7e-6d5c4b3a2910";
const SP_APP_ID = "4d3c2b1a-0f9e-4d8c-b7a6-958473625140";
const SP_OID = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d";
const ROLE = (guid: string) => roleDefinitionId(guid);
const ACR_PULL = ROLES.acrPull;

interface Options {
  private: boolean;
  outboundType?: "loadBalancer" | "userDefinedRouting";
  servicePrincipal?: { end: string };
  windowsPool?: boolean;
  /** An Arm-based (arm64) Linux pool beside the amd64 system pool. */
  armPool?: boolean;
  nsg?: boolean;
  /** A route table on the node subnet that sends the registry's traffic to an appliance. */
  routeToAppliance?: boolean;
}

function cluster(o: Options): Rec {
  const sp = o.servicePrincipal;
  return clusterRow(IDS.cluster, {
    name: "aks-prod",
    location: "westeurope",
    nodeResourceGroup: NODE_RG,
    subnetId: `${IDS.spoke}/subnets/nodes`,
    morePools: [
      ...(o.windowsPool
        ? [{ name: "win", mode: "User", osType: "Windows", osSKU: "Windows2022", count: 2 }]
        : []),
      ...(o.armPool ? [{ name: "arm", mode: "User", vmSize: "Standard_D4ps_v5", count: 2 }] : []),
    ],
    outboundType: o.outboundType,
    outboundIpId: IDS.outboundIp,
    ...(sp
      ? { servicePrincipalClientId: SP_APP_ID }
      : {
          kubelet: {
            resourceId: IDS.kubelet,
            clientId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            objectId: KUBELET_OID,
          },
          controlPlanePrincipalId: CONTROL_PLANE_OID,
        }),
  });
}

type Sku = "Basic" | "Standard" | "Premium";

/** contosoacr: private (its endpoint in the hub, public access off) or public; `props` override what Azure returns. */
function registry(o: Options, props: Record<string, unknown> = {}, sku: Sku = "Premium"): Rec {
  const row = registryRow(IDS.registry, {
    loginName: "contosoacr",
    sku,
    publicNetworkAccess: o.private ? "Disabled" : "Enabled",
    networkRules: { defaultAction: o.private ? "Deny" : "Allow" },
    roleAssignmentMode: "LegacyRegistryPermissions",
    privateEndpoints: o.private ? [{ id: IDS.pe }] : [],
  });
  return { ...row, properties: { ...row.properties, ...props } };
}

const assignment = (guidName: string, principalId: string, role: string, scope = IDS.registry): Rec =>
  assignmentRow(guidName, { principalId, roleDefinitionId: ROLE(role), scope });

const scaleSet = (withKubelet: boolean): Rec =>
  scaleSetRow(
    id(NODE_RG, "Microsoft.Compute/virtualMachineScaleSets", "aks-system-31415926-vmss"),
    "system",
    withKubelet
      ? { [IDS.kubelet]: { principalId: KUBELET_OID, clientId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" } }
      : {},
  );

const peering = (from: string, to: string, state = "Connected") =>
  inlinePeering(from, `to-${to.split("/").pop()}`, to, state);

/** A side's state as Azure shows it: `Initiated` while its pair does not exist, else Connected. */
const alone = (pair: string | null | undefined) => (pair === null ? "Initiated" : "Connected");

function vnets(o: Options, peerings: { spokeToHub?: string | null; hubToSpoke?: string | null } = {}): Rec[] {
  const nodes: Record<string, unknown> = { addressPrefix: "10.10.0.0/22" };
  if (o.outboundType === "userDefinedRouting" || o.routeToAppliance)
    nodes.routeTable = { id: IDS.routeTable };
  if (o.nsg) nodes.networkSecurityGroup = { id: IDS.nsg };
  const spoke = vnetRow(
    IDS.spoke,
    "10.10.0.0/16",
    { nodes },
    o.private && peerings.spokeToHub !== null
      ? [peering(IDS.spoke, IDS.hub, peerings.spokeToHub ?? alone(peerings.hubToSpoke))]
      : [],
  );
  if (!o.private && o.outboundType !== "userDefinedRouting") return [spoke];
  const hub = vnetRow(
    IDS.hub,
    "10.0.0.0/16",
    { AzureFirewallSubnet: "10.0.0.0/26", "private-endpoints": "10.0.1.0/24" },
    peerings.hubToSpoke !== null
      ? [peering(IDS.hub, IDS.spoke, peerings.hubToSpoke ?? alone(o.private ? peerings.spokeToHub : null))]
      : [],
  );
  return [spoke, hub];
}

function privateLink(links: string[] = [IDS.hub, IDS.spoke]): Rec[] {
  return [
    privateEndpointRow(IDS.pe, {
      subnetId: `${IDS.hub}/subnets/private-endpoints`,
      registryId: IDS.registry,
      connection: "contosoacr",
      dns: [
        { fqdn: "contosoacr.azurecr.io", ip: "10.0.1.4" },
        { fqdn: "contosoacr.westeurope.data.azurecr.io", ip: "10.0.1.5" },
      ],
    }),
    zoneGroupRow(IDS.pe, IDS.zone, "privatelink-azurecr-io"),
    zoneRow(IDS.zone),
    ...links.map((v) => vnetLinkRow(IDS.zone, `${v.split("/").pop()}-link`, v)),
    aRecordRow(IDS.zone, "contosoacr", "10.0.1.4"),
    aRecordRow(IDS.zone, "contosoacr.westeurope.data", "10.0.1.5"),
  ];
}

function firewall(allowRule: boolean): Rec[] {
  const rules = allowRule
    ? [networkRule("aks-to-acr", ["10.10.0.0/22"], ["10.0.1.4", "10.0.1.5"])]
    : [networkRule("aks-to-dns", ["10.10.0.0/22"], ["168.63.129.16"], ["53"], ["UDP"])];
  return [
    rec(IDS.firewallPolicy, "Microsoft.Network/firewallPolicies", {
      firewalls: [{ id: IDS.firewall }],
      threatIntelMode: "Alert",
    }),
    ruleCollectionGroupRow(`${IDS.firewallPolicy}/ruleCollectionGroups/platform`, 300, [
      { name: "aks", priority: 100, action: "Allow", rules },
    ]),
    firewallRow(
      IDS.firewall,
      {
        privateIp: "10.0.0.4",
        publicIpId: IDS.firewallIp,
        subnetId: `${IDS.hub}/subnets/AzureFirewallSubnet`,
      },
      IDS.firewallPolicy,
    ),
    publicIpRow(IDS.firewallIp, "20.31.40.7"),
    routeTableRow(IDS.routeTable, [
      {
        name: "default",
        addressPrefix: "0.0.0.0/0",
        nextHopType: "VirtualAppliance",
        nextHopIpAddress: "10.0.0.4",
      },
    ]),
  ];
}

const outboundIp = () => publicIpRow(IDS.outboundIp, "20.50.1.4");

/** A healthy environment: every record a pull needs, right. */
function healthy(o: Options): Rec[] {
  return [
    cluster(o),
    registry(o),
    o.servicePrincipal
      ? assignment("5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c", SP_OID, ACR_PULL)
      : assignment("5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c", KUBELET_OID, ACR_PULL),
    ...(o.servicePrincipal ? [] : [scaleSet(true)]),
    ...vnets(o),
    ...(o.private ? privateLink() : []),
    ...(o.outboundType === "userDefinedRouting" ? firewall(true) : [outboundIp()]),
    ...(o.servicePrincipal
      ? [
          servicePrincipalRow({ objectId: SP_OID, appId: SP_APP_ID, displayName: "aks-prod-sp" }, [
            {
              keyId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
              displayName: "aks",
              end: new Date(o.servicePrincipal.end),
            },
          ]),
        ]
      : []),
  ] as Rec[];
}

const deployment = (name: string, image: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "apps" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { nodeSelector: { "kubernetes.io/os": "linux" }, containers: [{ name, image }], ...spec },
    },
  },
});
const DIGEST = "sha256:" + "4f".repeat(32);
const goodImage = `contosoacr.azurecr.io/shop/web:1.4.2@${DIGEST}`;

interface ExpectedFinding {
  policy: string;
  level: "mandatory" | "advisory";
  resource: string;
  contains?: string[];
}
interface Scenario {
  name: string;
  about: string;
  resources: Rec[];
  kubernetes?: unknown[];
  config?: Record<string, string>;
  policyConfig?: Record<string, Record<string, unknown>>;
  before: ExpectedFinding[];
  after: ExpectedFinding[];
  /** Substrings the program's commands must contain (causes no declaration fixes). */
  commands?: string[];
  /** Components the plan must declare. */
  declares?: string[];
}

const PUBLIC: Options = { private: false };
const HUB: Options = { private: true };
const UDR: Options = { private: true, outboundType: "userDefinedRouting" };
const SP_EXPIRED: Options = { private: false, servicePrincipal: { end: "2025-06-30T00:00:00Z" } };
const SP_EXPIRING: Options = { private: false, servicePrincipal: { end: "2036-06-01T00:00:00Z" } };
const withRegistry = (rs: Rec[], props: Record<string, unknown>, sku: Sku = "Premium") =>
  replace(rs, "Microsoft.ContainerRegistry/registries", registry(PUBLIC, props, sku));
const noPeerings = (r: Rec) =>
  r.type === "microsoft.network/virtualnetworks"
    ? { ...r, properties: { ...r.properties, virtualNetworkPeerings: [] } }
    : r;
const ADMIN_SECRET = {
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/dockerconfigjson",
  metadata: { name: "acr-contosoacr", namespace: "apps" },
  data: {
    ".dockerconfigjson": Buffer.from(
      JSON.stringify({
        auths: {
          "contosoacr.azurecr.io": {
            username: "contosoacr",
            password: "not-a-real-password-0",
            auth: Buffer.from("contosoacr:not-a-real-password-0").toString("base64"),
          },
        },
      }),
    ).toString("base64"),
  },
};
const web = (image: string, spec: Record<string, unknown> = {}) => [deployment("web", image, spec)];
/** What a scenario expects of one resource: a finding of a policy, at a level, with words its message contains. */
const findingOn =
  (resource: string) =>
  (policy: string, level: ExpectedFinding["level"], contains: string[] = []): ExpectedFinding => ({
    policy,
    level,
    resource,
    contains,
  });
const k8sFinding = findingOn("apps/web");
const onCluster = findingOn("aks-prod");
const onRegistry = findingOn("contosoacr");
const replace = (rs: Rec[], type: string, next: Rec | undefined) => {
  const i = rs.findIndex((r) => r.type === type.toLowerCase());
  const out = [...rs];
  if (next) out.splice(i, 1, next);
  else out.splice(i, 1);
  return out;
};
const without = (rs: Rec[], pred: (r: Rec) => boolean) => rs.filter((r) => !pred(r));
/** The hub environment with A records written by hand (no zone group), the endpoint serving these names. */
const recordsByHand = (customDnsConfigs: { fqdn: string; ipAddresses: string[] }[]) =>
  without(healthy(HUB), (r) => r.id.includes("/privateDnsZoneGroups/")).map((r) =>
    r.id === IDS.pe ? { ...r, properties: { ...r.properties, customDnsConfigs } } : r,
  );

/** The demo's environment: AcrPull on the control-plane identity, the spoke-to-hub peering missing, the zone linked to the hub only. */
const BROKEN_HUB_SPOKE: Rec[] = without(
  [
    ...replace(
      healthy(HUB),
      "Microsoft.Authorization/roleAssignments",
      assignment("0d6b4f2e-8c1a-4b3e-9f7d-2a5c8e1b4d6f", CONTROL_PLANE_OID, ACR_PULL),
    ),
  ],
  (r) => r.id.endsWith("vnet-aks-link"),
).map((r) =>
  r.id === IDS.spoke
    ? { ...r, properties: { ...r.properties, virtualNetworkPeerings: [] } }
    : // The hub's side, alone, as Azure shows it: Initiated until the spoke's side exists.
      r.id === IDS.hub
      ? {
          ...r,
          properties: {
            ...r.properties,
            virtualNetworkPeerings: [peering(IDS.hub, IDS.spoke, "Initiated")],
          },
        }
      : r,
);

const BROKEN_HUB_SPOKE_FINDINGS: ExpectedFinding[] = [
  {
    policy: "aks-acr-pull-role",
    level: "mandatory",
    resource: "aks-prod",
    contains: ["401 Unauthorized", "control-plane"],
  },
  {
    policy: "acr-private-dns-link",
    level: "mandatory",
    resource: "aks-prod",
    contains: ["403 Forbidden", "vnet-aks"],
  },
  // The pods print 403 now (the spoke resolves the public address, which refuses it): that the
  // public path refuses the cluster is the unlinked zone's finding, not one of its own. Once the
  // zone is linked, the missing peering times out.
  {
    policy: "aks-acr-vnet-peering",
    level: "mandatory",
    resource: "aks-prod",
    contains: [
      "still fail, once acr-private-dns-link's finding is fixed",
      "i/o timeout",
      "no peering from 'vnet-aks' to 'vnet-hub'",
    ],
  },
];

/** A partner's subscription, in a tenant of its own. */
const PARTNER_SUB = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const PARTNER_TENANT = "0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a";
/** A landing zone's connectivity subscription, where the hub lives. */
const CONNECTIVITY_SUB = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";

/** The records of `groups` moved to subscription `sub` (of tenant `tenant`, by default the same one). */
function movedTo(rs: Rec[], sub: string, groups: string[], tenant = TENANT): Rec[] {
  const at = new RegExp(`/subscriptions/${SUB}/resourceGroups/(${groups.join("|")})(?=/|")`, "gi");
  const moved = JSON.parse(
    JSON.stringify(rs).replace(at, `/subscriptions/${sub}/resourceGroups/$1`),
  ) as Rec[];
  return moved.map((r) =>
    r.id.includes(`/subscriptions/${sub}/`) ? { ...r, subscriptionId: sub, tenantId: tenant } : r,
  );
}

const SCENARIOS: Scenario[] = [
  {
    name: "healthy-public",
    about:
      "A cluster pulling from a public Premium registry with AcrPull for its kubelet identity: nothing to find, nothing to declare.",
    resources: healthy(PUBLIC),
    kubernetes: [deployment("web", goodImage)],
    before: [],
    after: [],
    declares: [],
  },
  {
    name: "healthy-hub-spoke",
    about:
      "A spoke cluster pulling through a private endpoint in the hub: peered both ways, the privatelink zone linked to both VNets, AcrPull in place.",
    resources: healthy(HUB),
    kubernetes: [deployment("web", goodImage)],
    before: [],
    after: [],
    declares: [],
  },
  {
    name: "broken-hub-spoke",
    about:
      "The demo. A spoke cluster and a hub private endpoint, wired by hand: AcrPull went to the control-plane identity, the spoke-to-hub peering is missing, " +
      "and the privatelink zone is linked to the hub only. Pulls time out, then fail with 403, then with 401. The plan declares all three fixes.",
    resources: BROKEN_HUB_SPOKE,
    kubernetes: [deployment("web", goodImage)],
    before: BROKEN_HUB_SPOKE_FINDINGS,
    after: [],
    declares: ["AcrPullAccess", "PrivateRegistryDns", "VnetPeeringPair"],
  },
  {
    name: "hub-in-another-subscription",
    about:
      "The demo's wiring in a landing zone: the hub VNet, the registry's private endpoint and the privatelink zone live in the " +
      "connectivity subscription, the cluster and the registry in the workload subscription. The plan declares each fix in the " +
      "subscription of what it attaches to: the zone's VNet link in the connectivity subscription, the spoke's peering in the workload one.",
    resources: movedTo(BROKEN_HUB_SPOKE, CONNECTIVITY_SUB, ["rg-hub", "rg-dns"]),
    kubernetes: [deployment("web", goodImage)],
    before: BROKEN_HUB_SPOKE_FINDINGS.map((f) =>
      f.policy === "acr-private-dns-link"
        ? { ...f, contains: [...(f.contains ?? []), `-g rg-dns --subscription ${CONNECTIVITY_SUB}`] }
        : f,
    ),
    after: [],
    declares: ["AcrPullAccess", "PrivateRegistryDns", "VnetPeeringPair"],
  },
  {
    name: "registry-in-another-tenant",
    about:
      "The registry belongs to a partner's Microsoft Entra tenant (its subscription, its tenant), the cluster pulls with its " +
      "kubelet managed identity: a managed identity cannot get a token for another tenant, so no role on the registry can " +
      "make the pull work (AcrPull for it there fails with PrincipalNotFound), and the plan declares none. The fix is a pull " +
      "secret from a repository-scoped token of the registry's tenant, or a multi-tenant service principal.",
    resources: movedTo(
      without(healthy(PUBLIC), (r) => r.type === "microsoft.authorization/roleassignments"),
      PARTNER_SUB,
      ["rg-acr"],
      PARTNER_TENANT,
    ),
    config: { registryId: IDS.registry.replace(SUB, PARTNER_SUB) },
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-pull-role", "mandatory", [
        "401 Unauthorized",
        `is in Microsoft Entra tenant ${PARTNER_TENANT}`,
        "cannot get a token for another tenant",
        "az acr token create -r contosoacr",
      ]),
    ],
    after: [onCluster("aks-acr-pull-role", "mandatory")],
    declares: [],
  },
  {
    name: "sp-secret-expired",
    about:
      "A service-principal cluster whose only credential ended in June 2025: the kubelet's token request fails with 401. Nothing declarative fixes it; the program gives the command.",
    resources: healthy(SP_EXPIRED),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-sp-secret-valid", "mandatory", ["401 Unauthorized", "az aks update-credentials"]),
    ],
    after: [onCluster("aks-sp-secret-valid", "mandatory")],
    declares: [],
    commands: [
      `aks-sp-secret-valid: SECRET=$(az ad sp credential reset --id ${SP_APP_ID} --query password -o tsv) && ` +
        `az aks update-credentials -g rg-aks -n aks-prod --reset-service-principal --service-principal ${SP_APP_ID} --client-secret "$SECRET"`,
    ],
  },
  {
    name: "sp-secret-expiring",
    about:
      "A service-principal cluster whose credential ends within the warning window (the window is set to ten years in policyConfig, so the recording holds until 2036): rotate it before pulls fail.",
    resources: healthy(SP_EXPIRING),
    kubernetes: web(goodImage),
    policyConfig: { "aks-sp-secret-expiring": { warnWithinDays: 3650 } },
    before: [onCluster("aks-sp-secret-expiring", "advisory", ["2036-06-01"])],
    after: [onCluster("aks-sp-secret-expiring", "advisory")],
    declares: [],
  },
  {
    name: "kubelet-identity-off-vmss",
    about:
      "The node pool's scale set lost the kubelet user-assigned identity (a manual VMSS update): IMDS has no token for it, pulls fail with 401. The fix is a reconcile, `az aks update`.",
    resources: replace(healthy(PUBLIC), "Microsoft.Compute/virtualMachineScaleSets", scaleSet(false)),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-kubelet-identity-on-vmss", "mandatory", [
        "aks-system-31415926-vmss",
        "az aks update -g rg-aks -n aks-prod",
      ]),
    ],
    after: [onCluster("aks-kubelet-identity-on-vmss", "mandatory")],
    declares: [],
    commands: ["aks-kubelet-identity-on-vmss: az aks update -g rg-aks -n aks-prod"],
  },
  {
    name: "pull-secret-admin-disabled",
    about:
      "Pods pull with an image pull secret built from the registry's admin user, which has since been disabled, and the " +
      "kubelet identity holds no pull role (the reason the team used a secret): the kubelet tries the secret, then its own " +
      "credential, and both get 401. The secret lives in the cluster, not in a stack; the plan grants the kubelet identity " +
      "AcrPull, with which the pull works whatever the secret holds.",
    resources: without(healthy(PUBLIC), (r) => r.type === "microsoft.authorization/roleassignments"),
    kubernetes: [
      deployment("web", goodImage, { imagePullSecrets: [{ name: "acr-contosoacr" }] }),
      ADMIN_SECRET,
    ],
    before: [
      onCluster("aks-acr-pull-role", "mandatory", ["401 Unauthorized"]),
      {
        policy: "k8s-acr-pull-secret-valid",
        level: "mandatory",
        resource: "apps/acr-contosoacr",
        contains: ["adminUserEnabled", "cannot pull from registry 'contosoacr' either"],
      },
    ],
    after: [],
    declares: ["AcrPullAccess"],
  },
  {
    name: "image-reference-typo",
    about:
      "The image names `contosoacr.azureacr.io` (the misspelling the article names): the pull fails with `not found` / no such host.",
    resources: healthy(PUBLIC),
    kubernetes: web(`contosoacr.azureacr.io/shop/web:1.4.2@${DIGEST}`),
    before: [k8sFinding("k8s-acr-image-reference", "mandatory", ["azureacr.io", "contosoacr.azurecr.io"])],
    after: [k8sFinding("k8s-acr-image-reference", "mandatory")],
    declares: [],
  },
  {
    name: "image-host-with-port",
    about:
      "The image names its registry with a port (`contosoacr.azurecr.io:443/...`). The kubelet's credential provider matches " +
      "images against `*.azurecr.io` by host and port, so it sends no credentials, and the registry refuses the anonymous " +
      "pull with 401 though the kubelet identity holds AcrPull. The fix is the workload's: drop the port.",
    resources: healthy(PUBLIC),
    kubernetes: web(`contosoacr.azurecr.io:443/shop/web:1.4.2@${DIGEST}`),
    before: [k8sFinding("k8s-acr-image-reference", "mandatory", ["401 Unauthorized", "by host and port"])],
    after: [k8sFinding("k8s-acr-image-reference", "mandatory")],
    declares: [],
  },
  {
    name: "image-regional-endpoint",
    about:
      "The image names a geo-replica's regional endpoint (`contosoacr.westeurope.geo.azurecr.io/...`). Nodes whose " +
      "credential provider predates July 2026 match only `*.azurecr.io` (a host needs as many labels as the pattern): " +
      "there the image gets no credentials and the pull a 401. The recording does not show the nodes' provider, so this is " +
      "advisory; the fix is the workload's: the registry's login server.",
    resources: healthy(PUBLIC),
    kubernetes: web(`contosoacr.westeurope.geo.azurecr.io/shop/web:1.4.2@${DIGEST}`),
    before: [
      k8sFinding("k8s-acr-image-reference-unverified", "advisory", [
        "a geo-replica's regional endpoint",
        "not certain",
      ]),
    ],
    after: [k8sFinding("k8s-acr-image-reference-unverified", "advisory")],
    declares: [],
  },
  {
    name: "registry-unknown",
    about: "The image comes from an Azure registry that is neither in the environment nor on the allow-list.",
    resources: healthy(PUBLIC),
    kubernetes: web(`fabrikamimages.azurecr.io/shop/web:1.4.2@${DIGEST}`),
    before: [k8sFinding("k8s-acr-registry-known", "advisory", ["fabrikamimages.azurecr.io"])],
    after: [k8sFinding("k8s-acr-registry-known", "advisory")],
    declares: [],
  },
  {
    name: "dns-zone-not-linked",
    about:
      "Hub-and-spoke, but the privatelink.azurecr.io zone is linked to the hub only: the spoke resolves the registry to its public address, which refuses it (403). The plan links the zone.",
    resources: without(healthy(HUB), (r) => r.id.endsWith("vnet-aks-link")),
    kubernetes: web(goodImage),
    before: [onCluster("acr-private-dns-link", "mandatory", ["403 Forbidden", "vnet-aks"])],
    after: [],
    declares: ["PrivateRegistryDns"],
  },
  {
    name: "custom-dns-resolver",
    about:
      "The spoke's VNet resolves names through a DNS resolver in the hub (dhcpOptions.dnsServers 10.0.2.4), and the " +
      "privatelink.azurecr.io zone is linked to the spoke only: Azure DNS answers the resolver from the zones linked to the " +
      "hub, so the registry resolves to its public address (403). The plan links the zone to the resolver's VNet, not the spoke's.",
    resources: without(healthy(HUB), (r) => r.id.endsWith("vnet-hub-link")).map((r) =>
      r.id === IDS.spoke
        ? { ...r, properties: { ...r.properties, dhcpOptions: { dnsServers: ["10.0.2.4"] } } }
        : r,
    ),
    kubernetes: web(goodImage),
    before: [
      onCluster("acr-private-dns-link", "mandatory", [
        "403 Forbidden",
        "resolves through DNS servers 10.0.2.4 in VNet 'vnet-hub'",
      ]),
    ],
    after: [],
    declares: ["PrivateRegistryDns"],
  },
  {
    name: "zone-without-zone-group",
    about:
      "As hubs often are: the registry's private endpoint has no DNS zone group (its A records were written into the hub's " +
      "privatelink.azurecr.io zone by hand), and the zone is linked to the hub only: the spoke resolves the registry to its " +
      "public address (403). The observer finds the zone as a person would, and the plan links it and gives the endpoint a zone group.",
    resources: without(
      healthy(HUB),
      (r) => r.id.endsWith("vnet-aks-link") || r.id.includes("/privateDnsZoneGroups/"),
    ),
    kubernetes: web(goodImage),
    before: [onCluster("acr-private-dns-link", "mandatory", ["403 Forbidden", "vnet-aks"])],
    after: [],
    declares: ["PrivateRegistryDns"],
  },
  {
    name: "dns-record-stale",
    about:
      "The hub's A records were written by hand, and the registry's private endpoint was recreated since: it now answers " +
      "at 10.0.1.14, while the zone's record for the registry still says 10.0.1.4, where nothing answers (443 i/o timeout). " +
      "The plan gives the endpoint a DNS zone group, which keeps its records on its IPs.",
    resources: recordsByHand([
      { fqdn: "contosoacr.azurecr.io", ipAddresses: ["10.0.1.14"] },
      { fqdn: "contosoacr.westeurope.data.azurecr.io", ipAddresses: ["10.0.1.5"] },
    ]),
    kubernetes: web(goodImage),
    before: [
      onCluster("acr-private-dns-link", "mandatory", [
        "dial tcp 10.0.1.4:443: i/o timeout",
        "A record 'contosoacr' points at 10.0.1.4",
        "remove-record -g rg-dns -z privatelink.azurecr.io -n contosoacr -a 10.0.1.4",
      ]),
    ],
    after: [],
    declares: ["PrivateRegistryDns"],
  },
  {
    name: "geo-replica-data-record-missing",
    about:
      "A geo-replicated registry (West Europe, and a replica in North Europe) behind a hub private endpoint whose A records " +
      "were written by hand: the zone has the login server's and West Europe's data endpoint's, but not " +
      "contosoacr.northeurope.data, and the zone, linked to the spoke, answers NXDOMAIN for it: nodes that download layers " +
      "from the replica fail with no such host. The plan gives the endpoint a DNS zone group, which writes every record.",
    resources: [
      ...recordsByHand([
        { fqdn: "contosoacr.azurecr.io", ipAddresses: ["10.0.1.4"] },
        { fqdn: "contosoacr.westeurope.data.azurecr.io", ipAddresses: ["10.0.1.5"] },
        { fqdn: "contosoacr.northeurope.data.azurecr.io", ipAddresses: ["10.0.1.6"] },
      ]),
      rec(
        `${IDS.registry}/replications/northeurope`,
        "Microsoft.ContainerRegistry/registries/replications",
        { provisioningState: "Succeeded", regionEndpointEnabled: true, zoneRedundancy: "Disabled" },
        { location: "northeurope" },
      ),
    ],
    kubernetes: web(goodImage),
    before: [
      onCluster("acr-private-dns-link", "mandatory", [
        "none for 'contosoacr.northeurope.data'",
        "lookup contosoacr.northeurope.data.azurecr.io: no such host",
        "one per replica's region",
        "add-record -g rg-dns -z privatelink.azurecr.io -n contosoacr.northeurope.data -a 10.0.1.6",
      ]),
    ],
    after: [],
    declares: ["PrivateRegistryDns"],
  },
  {
    name: "registry-firewall-refuses-egress",
    about:
      "The registry admits selected networks only, and the cluster's load-balancer outbound IP is not one of them: 403. The registry is not the stack's, so the plan gives the exact `az acr network-rule add`.",
    resources: withRegistry(healthy(PUBLIC), {
      networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "20.60.0.0/24" }] },
    }),
    kubernetes: web(goodImage),
    before: [onCluster("acr-firewall-aks-egress", "mandatory", ["403 Forbidden", "20.50.1.4"])],
    after: [onCluster("acr-firewall-aks-egress", "mandatory")],
    declares: ["RegistryEgressAccess"],
    commands: [
      `acr-firewall-aks-egress: az acr network-rule add --subscription ${SUB} -g rg-acr -n contosoacr --ip-address 20.50.1.4`,
    ],
  },
  {
    name: "vnet-peering-missing",
    about:
      "The registry's private endpoint is in the hub, the cluster in a spoke, and the VNets are not peered: the spoke resolves the " +
      "registry to the endpoint's IP, which it cannot reach (443 i/o timeout; the registry refusing the public path plays no part). The plan peers them both ways.",
    resources: healthy(HUB).map(noPeerings),
    kubernetes: web(goodImage),
    before: [onCluster("aks-acr-vnet-peering", "mandatory", ["will fail with", "i/o timeout"])],
    after: [],
    declares: ["VnetPeeringPair"],
  },
  {
    name: "vnet-peering-disconnected",
    about:
      "The hub's peering to the spoke is Disconnected (the spoke's address space changed): 443 i/o timeout. The hub team owns it; the plan gives the delete-and-recreate commands.",
    resources: healthy(HUB).map((r) =>
      r.id === IDS.hub
        ? {
            ...r,
            properties: {
              ...r.properties,
              virtualNetworkPeerings: [peering(IDS.hub, IDS.spoke, "Disconnected")],
            },
          }
        : r,
    ),
    kubernetes: web(goodImage),
    before: [onCluster("aks-acr-vnet-peering", "mandatory", ["Disconnected"])],
    after: [onCluster("aks-acr-vnet-peering", "mandatory")],
    declares: [],
    commands: [
      "aks-acr-vnet-peering: az network vnet peering delete -g rg-hub --vnet-name vnet-hub -n to-vnet-aks",
    ],
  },
  {
    name: "private-endpoint-pending",
    about:
      "The hub's private endpoint was made with a manual connection (another team's registry), and the registry's owner has " +
      "not approved it: the connection is Pending, and a Pending connection carries no traffic, so pulls time out though DNS, " +
      "peering and AcrPull are right. Only the registry's owner can approve it: the plan gives the command.",
    resources: replace(
      healthy(HUB).map((r) =>
        r.id === IDS.pe
          ? {
              ...r,
              properties: {
                ...r.properties,
                privateLinkServiceConnections: [],
                manualPrivateLinkServiceConnections: [
                  {
                    name: "contosoacr",
                    properties: {
                      privateLinkServiceId: IDS.registry,
                      groupIds: ["registry"],
                      requestMessage: "aks-prod pulls through the hub",
                      privateLinkServiceConnectionState: {
                        status: "Pending",
                        description: "Awaiting approval",
                      },
                    },
                  },
                ],
              },
            }
          : r,
      ),
      "Microsoft.ContainerRegistry/registries",
      registry(HUB, {
        privateEndpointConnections: [
          {
            id: `${IDS.registry}/privateEndpointConnections/pe-contosoacr`,
            properties: {
              privateEndpoint: { id: IDS.pe },
              privateLinkServiceConnectionState: { status: "Pending", description: "Awaiting approval" },
            },
          },
        ],
      }),
    ),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-vnet-peering", "mandatory", [
        "will fail with",
        "i/o timeout",
        "'pe-contosoacr' is Pending",
        "az acr private-endpoint-connection approve -r contosoacr -n pe-contosoacr",
      ]),
    ],
    after: [onCluster("aks-acr-vnet-peering", "mandatory")],
    declares: [],
    commands: [
      "aks-acr-vnet-peering: az acr private-endpoint-connection approve -r contosoacr -n pe-contosoacr",
    ],
  },
  {
    name: "private-endpoint-beside-open-public",
    about:
      "The registry has a private endpoint in the hub, but its public access is still Enabled (defaultAction: Allow), and the " +
      "privatelink zone is linked to the hub only: the spoke resolves the public name, and the public endpoint lets it pull. No " +
      "pull fails, so nothing is mandatory and nothing is declared; that traffic goes public beside a private endpoint is advisory.",
    resources: replace(
      without(healthy(HUB), (r) => r.id.endsWith("vnet-aks-link")),
      "Microsoft.ContainerRegistry/registries",
      registry(HUB, {
        publicNetworkAccess: "Enabled",
        networkRuleSet: { defaultAction: "Allow", ipRules: [] },
      }),
    ),
    kubernetes: web(goodImage),
    before: [
      {
        policy: "acr-public-network-open",
        level: "advisory",
        resource: "contosoacr",
        contains: ["private endpoint"],
      },
    ],
    after: [{ policy: "acr-public-network-open", level: "advisory", resource: "contosoacr" }],
    declares: [],
  },
  {
    name: "anonymous-pull",
    about:
      "A public Standard registry with anonymous pull enabled, and no role for the kubelet identity: the kubelet pulls " +
      "without credentials, so no pull role is needed and none is declared.",
    resources: without(
      withRegistry(healthy(PUBLIC), { anonymousPullEnabled: true }, "Standard"),
      (r) => r.type === "microsoft.authorization/roleassignments",
    ),
    kubernetes: web(goodImage),
    before: [],
    after: [],
    declares: [],
  },
  {
    name: "registry-refuses-arm-tokens",
    about:
      "An Azure Policy (Modify) has set the registry to refuse ARM-audience tokens (policies.azureADAuthenticationAsArmPolicy: " +
      "disabled), and the cluster still runs Kubernetes 1.29 (LTS), whose in-tree credential provider asks for ARM-audience " +
      "tokens: the token exchange is refused and the pull goes without credentials (401), though the kubelet identity holds " +
      "AcrPull. No declaration fixes it: the cluster's upgrade, or the registry's setting (the command).",
    resources: withRegistry(
      healthy(PUBLIC).map((r) =>
        r.id === IDS.cluster
          ? {
              ...r,
              properties: {
                ...r.properties,
                kubernetesVersion: "1.29.15",
                currentKubernetesVersion: "1.29.15",
                agentPoolProfiles: (r.properties.agentPoolProfiles as Record<string, unknown>[]).map((p) => ({
                  ...p,
                  orchestratorVersion: "1.29.15",
                  currentOrchestratorVersion: "1.29.15",
                })),
              },
            }
          : r,
      ),
      { policies: { azureADAuthenticationAsArmPolicy: { status: "disabled" } } },
    ),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-pull-role", "mandatory", [
        "401 Unauthorized",
        "refuses ARM-audience tokens",
        "'system' (1.29.15)",
      ]),
    ],
    after: [onCluster("aks-acr-pull-role", "mandatory")],
    declares: [],
    commands: [
      "aks-acr-pull-role: az acr config authentication-as-arm update -r contosoacr --status enabled",
    ],
  },
  {
    name: "hub-firewall-blocks-layers",
    about:
      "Egress locked down through the hub firewall on the public path (userDefinedRouting, a public registry): an " +
      "application rule allows the login server, and the AzureKubernetesService FQDN tag the rest of AKS, but nothing allows " +
      "the registry's storage (*.blob.core.windows.net), where layers come from. The manifest is fetched, then the layer " +
      "downloads time out. No declaration of this program writes application rules: the finding gives the command.",
    resources: healthy({ private: false, outboundType: "userDefinedRouting" }).map((r) =>
      r.type === "microsoft.network/firewallpolicies/rulecollectiongroups"
        ? {
            ...r,
            properties: {
              priority: 300,
              ruleCollections: [
                {
                  ruleCollectionType: "FirewallPolicyFilterRuleCollection",
                  name: "aks-egress",
                  priority: 100,
                  action: { type: "Allow" },
                  rules: [
                    {
                      ruleType: "ApplicationRule",
                      name: "aks-fqdn-tag",
                      sourceAddresses: ["10.10.0.0/22"],
                      fqdnTags: ["AzureKubernetesService"],
                      protocols: [{ protocolType: "Https", port: 443 }],
                    },
                    {
                      ruleType: "ApplicationRule",
                      name: "acr-login",
                      sourceAddresses: ["10.10.0.0/22"],
                      targetFqdns: ["contosoacr.azurecr.io"],
                      protocols: [{ protocolType: "Https", port: 443 }],
                    },
                  ],
                },
              ],
            },
          }
        : r,
    ),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-hub-firewall", "mandatory", [
        "will fail with ErrImagePull: 'failed to copy",
        "*.blob.core.windows.net",
        "AzureKubernetesService FQDN tag does not cover",
        "--target-fqdns contosoacr.azurecr.io '*.blob.core.windows.net'",
      ]),
    ],
    after: [onCluster("aks-acr-hub-firewall", "mandatory")],
    declares: [],
  },
  {
    name: "hub-firewall-blocks",
    about:
      "The cluster's egress goes through the hub firewall (userDefinedRouting), whose policy has no rule to the registry's private endpoint: 443 i/o timeout. The plan adds the rule collection group.",
    resources: healthy(UDR).map((r) =>
      r.type === "microsoft.network/firewallpolicies/rulecollectiongroups"
        ? firewall(false).find((f) => f.id === r.id)!
        : r,
    ),
    kubernetes: web(goodImage),
    config: { firewallPolicyId: IDS.firewallPolicy },
    before: [onCluster("aks-acr-hub-firewall", "mandatory", ["i/o timeout", "10.0.1.4"])],
    after: [],
    declares: ["HubFirewallRegistryRule"],
  },
  {
    name: "hub-firewall-deny-first",
    about:
      "The hub firewall's policy allows the cluster to the registry's private endpoint at rule collection group priority 300, " +
      "but a baseline group at priority 150 denies all traffic from the spokes first: 443 i/o timeout. The plan's rule " +
      "collection group goes ahead of the Deny (priority 149), not at its default 200.",
    resources: [
      ...healthy(UDR),
      rec(
        `${IDS.firewallPolicy}/ruleCollectionGroups/baseline`,
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
        {
          priority: 150,
          ruleCollections: [
            {
              ruleCollectionType: "FirewallPolicyFilterRuleCollection",
              name: "deny-spokes",
              priority: 100,
              action: { type: "Deny" },
              rules: [
                {
                  ruleType: "NetworkRule",
                  name: "deny-all-from-spokes",
                  sourceAddresses: ["10.10.0.0/16"],
                  destinationAddresses: ["*"],
                  destinationPorts: ["*"],
                  ipProtocols: ["Any"],
                },
              ],
            },
          ],
        },
        { location: "" },
      ),
    ],
    kubernetes: web(goodImage),
    config: { firewallPolicyId: IDS.firewallPolicy },
    before: [onCluster("aks-acr-hub-firewall", "mandatory", ["i/o timeout", "deny-spokes"])],
    after: [],
    declares: ["HubFirewallRegistryRule"],
  },
  {
    name: "windows-pool-no-os-selector",
    about:
      "The cluster has a Windows node pool, and a Linux workload pins no OS: scheduled on Windows it fails with `no match for platform in manifest`.",
    resources: replace(
      healthy(PUBLIC),
      "Microsoft.ContainerService/managedClusters",
      cluster({ ...PUBLIC, windowsPool: true }),
    ),
    kubernetes: web(goodImage, { nodeSelector: {} }),
    before: [k8sFinding("k8s-workload-os-selector", "mandatory", ["no match for platform in manifest"])],
    after: [k8sFinding("k8s-workload-os-selector", "mandatory")],
    declares: [],
  },
  {
    name: "nsg-denies-acr",
    about:
      "An NSG on the node subnet denies outbound TCP 443 to the AzureContainerRegistry service tag ahead of any allow.",
    resources: [
      ...replace(healthy(PUBLIC), "Microsoft.Network/virtualNetworks", vnets({ ...PUBLIC, nsg: true })[0]),
      nsgRow(IDS.nsg, [outbound443Rule("deny-acr", "Deny", 100, "AzureContainerRegistry")]),
    ],
    kubernetes: web(goodImage),
    before: [onCluster("aks-subnet-nsg-acr", "advisory", ["deny-acr"])],
    after: [onCluster("aks-subnet-nsg-acr", "advisory")],
    declares: [],
  },
  {
    name: "image-architecture-mismatch",
    about:
      "The cluster has an Arm-based pool (Standard_D4ps_v5, arm64) and the workload's image, as its manifest in the registry " +
      "says, is built for linux/amd64 only: pods scheduled on the arm64 nodes fail with `no match for platform in manifest`.",
    resources: [
      ...replace(
        healthy(PUBLIC),
        "Microsoft.ContainerService/managedClusters",
        cluster({ ...PUBLIC, armPool: true }),
      ),
      // As the observer records what the registry's data plane answers for the image's manifest.
      imagePlatformsRecord(IDS.registry, "contosoacr.azurecr.io", "shop/web", DIGEST, ["linux/amd64"]) as Rec,
    ],
    kubernetes: web(goodImage),
    before: [
      k8sFinding("k8s-image-architecture", "mandatory", [
        "no match for platform in manifest",
        "Standard_D4ps_v5",
      ]),
    ],
    after: [k8sFinding("k8s-image-architecture", "mandatory")],
    declares: [],
  },
  {
    name: "workload-arch-not-pinned",
    about:
      "The cluster has amd64 and arm64 pools, the workload pins no `kubernetes.io/arch`, and nothing says which platforms " +
      "its image offers: an image built for one architecture fails on the other's nodes.",
    resources: replace(
      healthy(PUBLIC),
      "Microsoft.ContainerService/managedClusters",
      cluster({ ...PUBLIC, armPool: true }),
    ),
    kubernetes: web(goodImage),
    before: [
      k8sFinding("k8s-workload-arch-selector", "advisory", ["pin no CPU architecture", "Standard_D4ps_v5"]),
    ],
    after: [k8sFinding("k8s-workload-arch-selector", "advisory")],
    declares: [],
  },
  {
    name: "image-pull-qps",
    about:
      "Thirty replicas pull their image on every start (`imagePullPolicy: Always`): a rollout or a node drain asks for more " +
      "pulls at once than the kubelet's registryPullQPS allows, and pods fail with `pull QPS exceeded`.",
    resources: healthy(PUBLIC),
    kubernetes: [
      {
        ...deployment("web", goodImage),
        spec: {
          ...deployment("web", goodImage).spec,
          replicas: 30,
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              nodeSelector: { "kubernetes.io/os": "linux" },
              containers: [{ name: "web", image: goodImage, imagePullPolicy: "Always" }],
            },
          },
        },
      },
    ],
    before: [k8sFinding("k8s-image-pull-qps", "advisory", ["pull QPS exceeded", "30 pods start at once"])],
    after: [k8sFinding("k8s-image-pull-qps", "advisory")],
    declares: [],
  },
  {
    name: "route-through-appliance",
    about:
      "A route table on the node subnet sends all traffic to a virtual appliance the stack does not know as a firewall: " +
      "pulls fail with `net/http: TLS handshake timeout` where the appliance drops or inspects TLS.",
    resources: [
      ...replace(
        healthy(PUBLIC),
        "Microsoft.Network/virtualNetworks",
        vnets({ ...PUBLIC, routeToAppliance: true })[0],
      ),
      routeTableRow(IDS.routeTable, [
        {
          name: "default-to-nva",
          addressPrefix: "0.0.0.0/0",
          nextHopType: "VirtualAppliance",
          nextHopIpAddress: "10.0.9.4",
        },
      ]),
    ],
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-subnet-nsg-acr", "advisory", [
        "net/http: TLS handshake timeout",
        "virtual appliance 10.0.9.4",
      ]),
    ],
    after: [onCluster("aks-subnet-nsg-acr", "advisory")],
    declares: [],
  },
  {
    name: "abac-registry",
    about:
      "The registry was switched to ABAC repository permissions (roleAssignmentMode: AbacRepositoryPermissions): the kubelet " +
      "identity still holds AcrPull, which ABAC registries do not honour, so pulls get 401. The plan assigns Container Registry Repository Reader.",
    resources: withRegistry(healthy(PUBLIC), { roleAssignmentMode: "AbacRepositoryPermissions" }),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-pull-role", "mandatory", [
        "401 Unauthorized",
        "AbacRepositoryPermissions",
        "Container Registry Repository Reader",
      ]),
    ],
    after: [],
    declares: ["AcrPullAccess"],
  },
  {
    name: "admin-user-enabled",
    about: "The registry's admin user is on: pulls should use identities.",
    resources: withRegistry(healthy(PUBLIC), { adminUserEnabled: true }),
    kubernetes: web(goodImage),
    before: [
      onRegistry("acr-admin-user-disabled", "advisory", [
        "az acr update -n contosoacr --admin-enabled false",
      ]),
    ],
    after: [onRegistry("acr-admin-user-disabled", "advisory")],
    declares: [],
  },
  {
    name: "acrpull-through-group",
    about:
      "AcrPull on the registry is granted to an Entra group (principalType Group), not to the kubelet identity itself; the " +
      "recording does not show the group's members. Azure RBAC honours group membership, so the pull may well work: nothing " +
      "mandatory, an advisory with the command that checks membership, and nothing declared.",
    resources: replace(healthy(PUBLIC), "Microsoft.Authorization/roleAssignments", {
      ...assignment("5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", ACR_PULL),
      properties: {
        ...assignment(
          "5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c",
          "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
          ACR_PULL,
        ).properties,
        principalType: "Group",
      },
    }),
    kubernetes: web(goodImage),
    before: [
      onCluster("aks-acr-pull-role-unverified", "advisory", [
        "member of the Entra group",
        "az ad group member check",
      ]),
    ],
    after: [onCluster("aks-acr-pull-role-unverified", "advisory")],
    declares: [],
  },
  {
    name: "kubelet-over-privileged",
    about:
      "The kubelet identity holds Contributor on the registry: it can pull, and much more. AcrPull is enough.",
    resources: replace(
      healthy(PUBLIC),
      "Microsoft.Authorization/roleAssignments",
      assignment("5b0c7a3e-2f1d-4e6a-8b9c-0d1e2f3a4b5c", KUBELET_OID, "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ),
    kubernetes: web(goodImage),
    before: [onCluster("aks-acr-least-privilege", "advisory", ["Contributor"])],
    after: [onCluster("aks-acr-least-privilege", "advisory")],
    declares: [],
  },
  {
    name: "network-rules-on-standard-sku",
    about: "Network rules on a Standard registry: ACR applies them on Premium only.",
    resources: withRegistry(
      healthy(PUBLIC),
      { networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "20.50.1.4" }] } },
      "Standard",
    ),
    kubernetes: web(goodImage),
    before: [onRegistry("acr-network-rules-sku", "mandatory", ["Premium"])],
    after: [onRegistry("acr-network-rules-sku", "mandatory")],
    declares: [],
  },
  {
    name: "registry-open-to-everyone",
    about: "An IP rule admits 0.0.0.0/0: the registry's network rules restrict nothing.",
    resources: withRegistry(healthy(PUBLIC), {
      networkRuleSet: { defaultAction: "Deny", ipRules: [{ action: "Allow", value: "0.0.0.0/0" }] },
    }),
    kubernetes: web(goodImage),
    before: [onRegistry("acr-public-network-open", "advisory", ["0.0.0.0/0"])],
    after: [onRegistry("acr-public-network-open", "advisory")],
    declares: [],
  },
  {
    name: "image-tag-latest",
    about: "The image is tagged `latest`: what runs depends on whatever was pushed last.",
    resources: healthy(PUBLIC),
    kubernetes: web("contosoacr.azurecr.io/shop/web:latest"),
    before: [k8sFinding("k8s-image-tag-pinned", "advisory", ["latest"])],
    after: [k8sFinding("k8s-image-tag-pinned", "advisory")],
    declares: [],
  },
];

function write(s: Scenario) {
  const dir = path.join(__dirname, "..", "scenarios", s.name);
  fs.mkdirSync(dir, { recursive: true });
  const world = {
    resources: s.resources,
    kubernetes: s.kubernetes ?? [],
    config: { clusterId: IDS.cluster, registryId: IDS.registry, ...s.config },
    ...(s.policyConfig ? { policyConfig: s.policyConfig } : {}),
  };
  fs.writeFileSync(path.join(dir, "world.json"), JSON.stringify(world, null, 2) + "\n");
  const expected = {
    before: s.before.map((f) => ({ contains: [], ...f })),
    after: s.after.map(({ policy, level, resource }) => ({ policy, level, resource })),
    declares: s.declares ?? [],
    commands: s.commands ?? [],
  };
  fs.writeFileSync(path.join(dir, "expected.json"), JSON.stringify(expected, null, 2) + "\n");
  fs.writeFileSync(
    path.join(dir, "README.md"),
    `# ${s.name}\n\n${s.about}\n\n\`world.json\` is the environment as Azure Resource Graph and kubectl return it (written by ` +
      "`npm run scenarios`); `expected.json` is what the policy pack must find before and after the program's plan.\n",
  );
}

for (const s of SCENARIOS) write(s);
process.stdout.write(`wrote ${SCENARIOS.length} scenarios\n`);
