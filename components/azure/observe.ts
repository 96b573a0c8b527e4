/**
 * What AksAcrObserver records: everything between a cluster and a registry that decides whether a
 * pull succeeds, read through an AzureReader, as ARM records. Secrets never enter a record.
 */
import { parseArmId, requireArmId } from "../../core/stack/arm-id";
import { parseImage } from "../../core/stack/images";
import { PRIVATE_LINK_ZONES, vnetOfId } from "../../core/network/network";
import { builtInRole, roleDefinitionGuid } from "../../core/identity/roles";
import { listOf, read, readArmProp, refIds } from "../../core/stack/values";
import { ArmRecord, AzureReader } from "./reader";

export interface ObserveTarget {
  clusterId: string;
  registryId: string;
  /** A hub firewall policy whose rule collection groups decide the cluster's egress. */
  firewallPolicyId?: string;
  /** A private DNS zone (privatelink.azurecr.io) to read when no endpoint's zone group names it. */
  privateDnsZoneId?: string;
  /** Images of the registry whose platforms (CPU architectures) to read from their manifests. */
  images?: string[];
}

/** A non-empty string at a path of an ARM record: top level, else under `properties`. */
const str = (o: unknown, ...path: string[]): string | undefined => {
  const v = readArmProp(o, ...path);
  return typeof v === "string" && v !== "" ? v : undefined;
};
const vnetOf = (subnetId: string) => vnetOfId(subnetId)?.raw ?? subnetId;

/** Reads every record the policies need about one cluster and one registry. */
export async function observe(reader: AzureReader, target: ObserveTarget): Promise<ArmRecord[]> {
  const clusterId = requireArmId(
    "AksAcrObserver",
    "clusterId",
    target.clusterId,
    "Microsoft.ContainerService/managedClusters",
    "managed cluster",
  ).raw;
  const registryId = requireArmId(
    "AksAcrObserver",
    "registryId",
    target.registryId,
    "Microsoft.ContainerRegistry/registries",
    "container registry",
  ).raw;
  const records = new Map<string, ArmRecord>();
  const keep = (r: ArmRecord | undefined) => {
    if (r && typeof r.id === "string") records.set(r.id.toLowerCase(), scrubbed(r));
    return r && records.get(r.id.toLowerCase());
  };
  const fetch = async (id: string | undefined) => {
    if (!id) return undefined;
    return records.get(id.toLowerCase()) ?? keep(await reader.get(id));
  };
  // A collection read once, though deciding which zone to keep already read it.
  const lists = new Map<string, Promise<ArmRecord[]>>();
  const list = (collection: string) => {
    const key = collection.toLowerCase();
    if (!lists.has(key)) lists.set(key, reader.list(collection));
    return lists.get(key)!;
  };
  const need = async (id: string, what: string) => {
    const r = await fetch(id);
    if (!r)
      throw new Error(`AksAcrObserver: ${what} ${id} does not exist (or the credentials cannot read it)`);
    return r;
  };

  const cluster = await need(clusterId, "cluster");
  const registry = await need(registryId, "registry");
  const cp = cluster.properties ?? {};
  const rp = registry.properties ?? {};

  // Node pools' scale sets, in the node resource group AKS manages.
  const nodeGroup = str(cp, "nodeResourceGroup");
  const sub = parseArmId(clusterId)!.subscriptionId!;
  if (nodeGroup) {
    const scaleSets = await reader.list(
      `/subscriptions/${sub}/resourceGroups/${nodeGroup}/providers/Microsoft.Compute/virtualMachineScaleSets`,
    );
    scaleSets.forEach(keep);
  }

  // Who may pull: assignments at the registry and above, and the custom roles they use.
  for (const a of await reader.roleAssignmentsAt(registryId)) {
    keep(a);
    const def = str(a, "roleDefinitionId");
    const guid = def && roleDefinitionGuid(def);
    if (def && guid && !builtInRole(guid)) await fetch(def);
  }

  // A service-principal cluster: its credentials' end dates.
  const clientId = str(cp, "servicePrincipalProfile", "clientId");
  if (clientId && clientId.toLowerCase() !== "msi") keep(await reader.servicePrincipal(clientId));

  // Admin credentials, hashed, when the admin user is on (pull secrets are judged against them);
  // repository-scoped tokens (`az acr token create`), whose records hold no password value.
  if (rp.adminUserEnabled === true) keep(await reader.registryCredentials(registryId));
  (await reader.list(`${registryId}/tokens`)).forEach(keep);

  // The platforms of the registry's images the workloads run: what k8s-image-architecture checks.
  const loginServer = str(rp, "loginServer")?.toLowerCase();
  for (const image of target.images ?? []) {
    const parsed = parseImage(image);
    if (!parsed.ok)
      throw new Error(`AksAcrObserver: images: "${image}" is not an image reference (${parsed.reason})`);
    const { host, repository, tag, digest } = parsed.ref;
    if (host.toLowerCase() !== loginServer) continue; // another registry's: not this observer's to read
    keep(await reader.imagePlatforms(registryId, host.toLowerCase(), repository, digest ?? tag ?? "latest"));
  }

  // The network: cluster VNets, the registry's private endpoints, their VNets and DNS.
  const subnets = new Set<string>();
  for (const pool of listOf(cp.agentPoolProfiles)) {
    const subnet = str(pool, "vnetSubnetID");
    if (subnet) subnets.add(subnet);
  }
  for (const s of subnets) await fetch(vnetOf(s));
  // A cluster VNet with custom DNS servers resolves through them: the VNets it is peered with are
  // where such servers (a DNS resolver in the hub) most often are, and which zones they answer
  // from depends on those VNets' links.
  for (const v of new Set([...subnets].map((s) => vnetOf(s).toLowerCase()))) {
    const vnet = records.get(v);
    const servers = readArmProp(vnet, "dhcpOptions", "dnsServers");
    if (!Array.isArray(servers) || servers.length === 0) continue;
    for (const p of listOf(readArmProp(vnet, "virtualNetworkPeerings"))) {
      await fetch(str(p, "remoteVirtualNetwork", "id"));
    }
  }
  const zones = new Set<string>(target.privateDnsZoneId ? [target.privateDnsZoneId] : []);
  const peVnets = new Set<string>();
  for (const conn of listOf(rp.privateEndpointConnections)) {
    const peId = str(conn, "privateEndpoint", "id");
    const pe = await fetch(peId);
    if (!pe) continue;
    const subnet = str(pe, "subnet", "id");
    if (subnet) {
      peVnets.add(vnetOf(subnet));
      await fetch(vnetOf(subnet));
    }
    for (const group of await reader.list(`${pe.id}/privateDnsZoneGroups`)) {
      keep(group);
      const configs = readArmProp(group, "privateDnsZoneConfigs");
      for (const c of listOf(configs)) {
        const zone = str(c, "privateDnsZoneId");
        if (zone) zones.add(zone);
      }
    }
  }
  if (zones.size === 0 && peVnets.size > 0) {
    // No zone group names a zone (A records written by hand, common in hubs): look as a person
    // would, in the subscriptions of the cluster, the registry and the endpoints' VNets, for a
    // privatelink zone; prefer the one holding the registry's A record, then one linked to an
    // endpoint's VNet.
    const found = await discoverZone(list, {
      subscriptions: [clusterId, registryId, ...peVnets].map((id) => parseArmId(id)?.subscriptionId),
      registryName: (registry.name ?? "").toLowerCase(),
      peVnets: [...peVnets].map((v) => v.toLowerCase()),
    });
    if (found) zones.add(found);
  }
  for (const zoneId of zones) {
    if (!(await fetch(zoneId))) continue;
    (await list(`${zoneId}/virtualNetworkLinks`)).forEach(keep);
    (await list(`${zoneId}/A`)).forEach(keep);
  }

  // Egress: the public IPs the cluster leaves from (load balancer, managed or own NAT gateway).
  const ips = [
    ...refIds(read(cp, "networkProfile", "loadBalancerProfile", "effectiveOutboundIPs")),
    ...refIds(read(cp, "networkProfile", "natGatewayProfile", "effectiveOutboundIPs")),
  ];
  for (const s of subnets) {
    const vnet = records.get(vnetOf(s).toLowerCase());
    const subnetRecord = listOf(readArmProp(vnet, "subnets")).find(
      (x) => str(x, "id")?.toLowerCase() === s.toLowerCase(),
    );
    const nat = await fetch(str(subnetRecord, "natGateway", "id"));
    if (nat) ips.push(...refIds(readArmProp(nat, "publicIpAddresses")));
    // NSGs and route tables on the node subnets.
    await fetch(str(subnetRecord, "networkSecurityGroup", "id"));
    await fetch(str(subnetRecord, "routeTable", "id"));
  }
  for (const ip of ips) await fetch(ip);

  // A hub firewall's rules, when the cluster routes through one.
  if (target.firewallPolicyId) {
    const policy = await fetch(target.firewallPolicyId);
    if (policy) {
      const groups = await reader.list(`${target.firewallPolicyId}/ruleCollectionGroups`);
      groups.forEach(keep);
      // The IP groups its rules name: what they hold decides whom a rule matches.
      for (const group of groups)
        for (const collection of listOf(readArmProp(group, "ruleCollections")))
          for (const rule of listOf(read(collection, "rules")))
            for (const key of ["sourceIpGroups", "destinationIpGroups"])
              for (const id of listOf(read(rule, key))) if (typeof id === "string") await fetch(id);
      // The firewalls it governs, and their public IPs: the cluster's egress under userDefinedRouting.
      for (const fwId of refIds(readArmProp(policy, "firewalls"))) {
        const fw = await fetch(fwId);
        const configs = readArmProp(fw, "ipConfigurations");
        for (const c of listOf(configs)) {
          await fetch(str(c, "publicIPAddress", "id"));
        }
      }
    }
  }
  // The tenant of the cluster's and the registry's subscriptions (a registry in another tenant
  // cannot be pulled with a managed identity): stamped on their records, as Resource Graph gives it.
  for (const r of [cluster, registry]) {
    const kept = records.get(r.id.toLowerCase());
    const tenant = await tenantOfSubscription(reader, parseArmId(r.id)!.subscriptionId!);
    if (kept && tenant) records.set(r.id.toLowerCase(), { ...kept, tenantId: tenant });
  }
  return [...records.values()];
}

/** A subscription's tenant; undefined where the reader cannot read the subscription. */
async function tenantOfSubscription(
  reader: AzureReader,
  subscriptionId: string,
): Promise<string | undefined> {
  try {
    const s = await reader.get(`/subscriptions/${subscriptionId}`);
    return typeof s?.tenantId === "string" && s.tenantId ? s.tenantId : undefined;
  } catch {
    return undefined;
  }
}

/** The privatelink zone that most likely serves the registry, among those of the subscriptions given. */
async function discoverZone(
  list: (collection: string) => Promise<ArmRecord[]>,
  o: { subscriptions: (string | undefined)[]; registryName: string; peVnets: string[] },
): Promise<string | undefined> {
  let best: { id: string; score: number } | undefined;
  for (const sub of new Set(o.subscriptions.filter((x): x is string => !!x).map((x) => x.toLowerCase()))) {
    const candidates = (
      await list(`/subscriptions/${sub}/providers/Microsoft.Network/privateDnsZones`)
    ).filter((z) => PRIVATE_LINK_ZONES.includes(z.name.toLowerCase()));
    for (const zone of candidates) {
      const records = await list(`${zone.id}/A`);
      const links = await list(`${zone.id}/virtualNetworkLinks`);
      const holds = records.some((r) => r.name.toLowerCase() === o.registryName);
      const linked = links.some((l) =>
        o.peVnets.includes(String(str(l, "virtualNetwork", "id")).toLowerCase()),
      );
      const score = (holds ? 2 : 0) + (linked ? 1 : 0);
      if (!best || score > best.score) best = { id: zone.id, score };
    }
  }
  return best?.id;
}

/**
 * Fields that can carry a secret, dropped from every record before it becomes an output (and so
 * enters Pulumi state): ARM does not return most of them, but a record must never depend on that.
 */
const SECRET_KEY =
  /secret|password|customdata|protectedsettings|privatekey|^token$|connectionstring|^key\d*$/i;
const KEPT = new Set(["passwordHashes", "passwordCredentials"]);

/** What a repository token's `credentials.passwords[]` may keep: when each expires, never a value. */
const TOKEN_PASSWORD_FIELDS = ["name", "creationTime", "expiry"];

export function scrubbed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(scrubbed) as T;
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k, x]) => KEPT.has(k) || !SECRET_KEY.test(k) || (k === "passwords" && Array.isArray(x)))
      .map(([k, x]) =>
        k === "passwords" && !KEPT.has(k)
          ? [
              k,
              (x as unknown[]).map((p) =>
                Object.fromEntries(
                  TOKEN_PASSWORD_FIELDS.filter((f) => read(p, f) !== undefined).map((f) => [
                    f,
                    scrubbed(read(p, f)),
                  ]),
                ),
              ),
            ]
          : [k, scrubbed(x)],
      ),
  ) as T;
}

/** A short account of what was observed, for logs: counts by type. */
export function observedSummary(records: ArmRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) {
    const type = r.type.split("/").slice(1).join("/") || r.type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return [...counts].map(([t, n]) => `${n} ${t}`).join(", ") || "nothing";
}
