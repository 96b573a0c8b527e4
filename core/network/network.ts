/**
 * The network a pull crosses: the cluster's VNets (from its node subnets), the registry's private
 * endpoints and their VNets, private DNS zones and their links, and VNet peerings, whether declared
 * as resources, inline in a VirtualNetwork, or recorded by the observer.
 */
import { ArmId, parseArmId, resourceName } from "../stack/arm-id";
import { cidrContains, parseCidr } from "./cidr";
import {
  ClusterNode,
  clusterPools,
  linked,
  perTopology,
  RegistryNode,
  registryPrivateEndpoints,
  StackResource,
  subscriptionOf,
  Topology,
} from "../stack/topology";
import {
  isUnknown,
  Known,
  known,
  read,
  readArray,
  readString,
  sameText,
  UNKNOWN,
  listOf,
  readArmProp,
} from "../stack/values";

/** `/subscriptions/../virtualNetworks/<vnet>` from a subnet or any child id. */
export function vnetOfId(id: string): ArmId | undefined {
  const m = /^(.*\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)/i.exec(id);
  return m ? parseArmId(m[1]) : undefined;
}

/** The subnets the cluster's node pools run in: the profile's `vnetSubnetID`s and AgentPool resources'. */
export function clusterSubnets(topo: Topology, cluster: ClusterNode): { subnets: ArmId[]; pending: boolean } {
  const ids: Known<string>[] = [];
  const pools = clusterPools(topo, cluster);
  if (pools === UNKNOWN) return { subnets: [], pending: true };
  for (const p of pools) {
    const s = readString(p, "vnetSubnetID");
    if (s !== undefined) ids.push(s);
  }
  const subnets: ArmId[] = [];
  let pending = false;
  for (const s of ids) {
    if (s === UNKNOWN) pending = true;
    else {
      const id = parseArmId(s);
      if (id && !subnets.some((x) => x.key === id.key)) subnets.push(id);
    }
  }
  return { subnets, pending };
}

export function clusterVnets(topo: Topology, cluster: ClusterNode): { vnets: ArmId[]; pending: boolean } {
  const { subnets, pending } = clusterSubnets(topo, cluster);
  const vnets: ArmId[] = [];
  for (const s of subnets) {
    const v = vnetOfId(s.raw);
    if (v && !vnets.some((x) => x.key === v.key)) vnets.push(v);
  }
  return { vnets, pending };
}

export interface PrivateEndpointInfo {
  res: StackResource;
  vnet: Known<ArmId> | undefined;
  /** Private IPs of the endpoint's NIC, where the stack or the recording shows them. */
  ips: string[];
}

export function privateEndpointsOf(topo: Topology, reg: RegistryNode): PrivateEndpointInfo[] {
  // Every hop of every pair asks: once per registry and topology.
  return perTopology(topo, `network:private-endpoints:${reg.res.urn}`, () => privateEndpointsRead(topo, reg));
}

function privateEndpointsRead(topo: Topology, reg: RegistryNode): PrivateEndpointInfo[] {
  return registryPrivateEndpoints(topo, reg).map((res) => {
    const subnet = readString(res.props, "subnet", "id");
    const ips = new Set<string>();
    for (const cfg of listOf(readArray(res.props, "customDnsConfigs"))) {
      for (const ip of listOf(readArray(cfg, "ipAddresses"))) if (typeof ip === "string") ips.add(ip);
    }
    for (const cfg of listOf(readArray(res.props, "ipConfigurations"))) {
      const ip = readArmProp(cfg, "privateIPAddress");
      if (typeof ip === "string") ips.add(ip);
    }
    return { res, vnet: subnet === UNKNOWN ? UNKNOWN : subnet ? vnetOfId(subnet) : undefined, ips: [...ips] };
  });
}

export interface Peering {
  /** Where it is declared or recorded (a peering resource, or the VNet it is inline in). */
  res: StackResource;
  name: string;
  from: ArmId;
  to: Known<ArmId> | undefined;
  state: Known<string> | undefined;
  /** `allowVirtualNetworkAccess`: false means the peering carries no traffic between the VNets. */
  allowsAccess: Known<boolean> | undefined;
}

/** `allowVirtualNetworkAccess` as written: Azure's default is true. */
function allowsAccess(v: unknown): Known<boolean> | undefined {
  if (isUnknown(v)) return UNKNOWN;
  return typeof v === "boolean" ? v : undefined;
}

/** Every peering the stack or the recording shows. */
export function peerings(topo: Topology): Peering[] {
  const out: Peering[] = [];
  for (const res of topo.byKind.get("virtualNetworkPeering") ?? []) {
    const id = readString(res.props, "id");
    let from = known(id) ? vnetOfId(id) : undefined;
    if (!from) {
      // Declared with inputs only: the parent VNet by property dependency or by group and name.
      const parent = linked(res, "virtualNetworkName")
        .map((u) => topo.byUrn.get(u))
        .find((r) => r && known(readString(r.props, "id")));
      from = parent ? vnetOfId(readString(parent.props, "id") as string) : undefined;
    }
    const remote = readString(res.props, "remoteVirtualNetwork", "id");
    if (!from) from = declaredParent(topo, res, remote);
    if (!from) continue;
    out.push({
      res,
      name: res.name,
      from,
      to: remote === UNKNOWN ? UNKNOWN : remote ? parseArmId(remote) : undefined,
      state: readString(res.props, "peeringState"),
      allowsAccess: allowsAccess(read(res.props, "allowVirtualNetworkAccess")),
    });
  }
  for (const vnet of topo.byKind.get("virtualNetwork") ?? []) {
    const id = readString(vnet.props, "id");
    const from = known(id) ? parseArmId(id) : undefined;
    const inline = readArray(vnet.props, "virtualNetworkPeerings");
    if (!from || !known(inline)) continue;
    for (const p of inline) {
      const remote = readArmProp(p, "remoteVirtualNetwork", "id");
      const state = readArmProp(p, "peeringState");
      out.push({
        res: vnet,
        name: String(read(p, "name") ?? "(inline)"),
        from,
        to: isUnknown(remote) ? UNKNOWN : typeof remote === "string" ? parseArmId(remote) : undefined,
        state: isUnknown(state) ? UNKNOWN : typeof state === "string" ? state : undefined,
        allowsAccess: allowsAccess(readArmProp(p, "allowVirtualNetworkAccess")),
      });
    }
  }
  return out;
}

/**
 * The VNet a peering declared with inputs only lives in: a VNet of the stack with its group and
 * name, or else that group and name in the remote VNet's subscription.
 */
function declaredParent(
  topo: Topology,
  res: StackResource,
  remote: Known<string> | undefined,
): ArmId | undefined {
  const name = readString(res.props, "virtualNetworkName");
  const rg = readString(res.props, "resourceGroupName");
  if (!known(name) || !known(rg)) return undefined;
  for (const v of topo.byKind.get("virtualNetwork") ?? []) {
    const id = parseArmId(v.props["id"]);
    if (id && sameText(resourceName(id), name) === true && sameText(id.resourceGroup, rg) === true) return id;
  }
  const sub = known(remote) ? parseArmId(remote)?.subscriptionId : undefined;
  return sub
    ? parseArmId(
        `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`,
      )
    : undefined;
}

/** The peering from `a` to `b`, if one is declared or recorded. */
export function peeringBetween(all: Peering[], a: ArmId, b: ArmId): Peering | undefined {
  return all.find((p) => p.from.key === a.key && known(p.to) && p.to.key === b.key);
}

export const PRIVATE_LINK_ZONES = [
  "privatelink.azurecr.io",
  "privatelink.azurecr.cn",
  "privatelink.azurecr.us",
];

export interface ZoneInfo {
  res: StackResource;
  name: string;
  id?: ArmId;
}

export function privateLinkZones(topo: Topology): ZoneInfo[] {
  return perTopology(topo, "network:private-link-zones", () => readPrivateLinkZones(topo));
}

/**
 * The zones that may serve a registry whose endpoints are `pes` and whose name is `name`: those an
 * endpoint's DNS zone group points at, or that hold an A record of the name, in privateLinkZones'
 * order. The zones indexed by what names them, once per topology: a fleet has a zone per team.
 */
export function servingZones(
  topo: Topology,
  pes: readonly { res: StackResource }[],
  name: string | undefined,
): ZoneInfo[] {
  const zones = privateLinkZones(topo);
  const index = perTopology(topo, "network:zones-index", () => {
    const byUrn = new Map(zones.map((z) => [z.res.urn, z]));
    const byKey = new Map(zones.flatMap((z) => (z.id ? [[z.id.key, z] as const] : [])));
    const byRecord = new Map<string, ZoneInfo[]>();
    for (const z of zones)
      for (const n of zoneARecords(topo, z)) byRecord.set(n, [...(byRecord.get(n) ?? []), z]);
    const order = new Map(zones.map((z, i) => [z, i]));
    return { byUrn, byKey, byRecord, order, withoutId: zones.filter((z) => !z.id) };
  });
  const candidates = new Set<ZoneInfo>(index.withoutId);
  if (name !== undefined) for (const z of index.byRecord.get(name) ?? []) candidates.add(z);
  for (const pe of pes) {
    const peName = readString(pe.res.props, "name") ?? pe.res.name;
    for (const g of zoneGroupsNamed(topo, pe.res.urn, String(peName))) {
      for (const u of linked(g, "privateDnsZoneConfigs")) {
        const z = index.byUrn.get(u);
        if (z) candidates.add(z);
      }
      for (const c of listOf(readArray(g.props, "privateDnsZoneConfigs"))) {
        const zid = readArmProp(c, "privateDnsZoneId");
        const key = typeof zid === "string" ? parseArmId(zid)?.key : undefined;
        const z = key ? index.byKey.get(key) : undefined;
        if (z) candidates.add(z);
      }
    }
  }
  // The same test as a scan of every zone, over the zones that can pass it, in the zones' order.
  return [...candidates]
    .filter(
      (z) =>
        pes.some((pe) => hasZoneGroup(topo, pe.res, z)) ||
        (name !== undefined && zoneARecords(topo, z).has(name)),
    )
    .sort((a, b) => index.order.get(a)! - index.order.get(b)!);
}

function readPrivateLinkZones(topo: Topology): ZoneInfo[] {
  return (topo.byKind.get("privateZone") ?? []).flatMap((res) => {
    const name = readString(res.props, "name") ?? readString(res.props, "privateZoneName");
    if (!known(name) || !PRIVATE_LINK_ZONES.includes(name.toLowerCase())) return [];
    return [{ res, name: name.toLowerCase(), id: parseArmId(res.props["id"]) }];
  });
}

/** Whether a child resource (link, record set) belongs to the zone: linked, or by id path. */
function inZone(topo: Topology, child: StackResource, zone: ZoneInfo): boolean {
  if (linked(child, "privateZoneName").includes(zone.res.urn)) return true;
  const id = readString(child.props, "id");
  if (known(id) && zone.id) return id.toLowerCase().startsWith(zone.id.key + "/");
  if (sameText(readString(child.props, "privateZoneName"), zone.name) !== true) return false;
  if (!zone.id) return true;
  // Every registry zone has the same name: a child is in this one only in its resource group and
  // subscription (its provider's, while its id is not known), where those are known.
  const group = readString(child.props, "resourceGroupName");
  if (known(group) && group && zone.id.resourceGroup && sameText(group, zone.id.resourceGroup) === false)
    return false;
  const sub = subscriptionOf(topo, child);
  return !sub || !zone.id.subscriptionId || sameText(sub, zone.id.subscriptionId) !== false;
}

/**
 * The links or record sets of `zone`, from an index built once per topology (every registry zone
 * has the same name: scanning every child for every zone is quadratic in a tenant's teams). A child
 * with a known id belongs to the zone its id is under and to any it is linked to by dependency; one
 * without (a preview), or a zone without an id, is judged by inZone, as before.
 */
function zoneChildren(
  topo: Topology,
  kind: "virtualNetworkLink" | "privateRecordSet",
  zone: ZoneInfo,
): StackResource[] {
  const index = perTopology(topo, `network:zone-children:${kind}`, () => {
    const zones = privateLinkZones(topo);
    const byUrn = new Map(zones.map((z) => [z.res.urn, z]));
    const byKey = new Map(zones.flatMap((z) => (z.id ? [[z.id.key, z] as const] : [])));
    const withoutId = zones.filter((z) => !z.id);
    const out = new Map<string, StackResource[]>();
    const add = (z: ZoneInfo, child: StackResource) => {
      const list = out.get(z.res.urn) ?? [];
      if (!list.includes(child)) list.push(child);
      out.set(z.res.urn, list);
    };
    for (const child of topo.byKind.get(kind) ?? []) {
      const id = readString(child.props, "id");
      const key = known(id) ? parseArmId(id)?.key : undefined;
      if (!key) {
        for (const z of zones) if (inZone(topo, child, z)) add(z, child);
        continue;
      }
      for (const urn of linked(child, "privateZoneName")) {
        const z = byUrn.get(urn);
        if (z) add(z, child);
      }
      const under = /^(.*?\/providers\/microsoft\.network\/privatednszones\/[^/]+)\//.exec(key)?.[1];
      const z = under ? byKey.get(under) : undefined;
      if (z) add(z, child);
      for (const other of withoutId) if (inZone(topo, child, other)) add(other, child);
    }
    return out;
  });
  return index.get(zone.res.urn) ?? [];
}

/**
 * Whether which links, record sets and zone groups belong to `zone` waits on values not known yet
 * (the zone's id, or a child's id with nothing else to place it): judge the zone then.
 */
export function zonePending(topo: Topology, zone: ZoneInfo): boolean {
  if (readString(zone.res.props, "id") === UNKNOWN) return true;
  // The rest does not depend on the zone: decided once per topology.
  return perTopology(topo, "network:zone-children-pending", () => childrenPending(topo));
}

function childrenPending(topo: Topology): boolean {
  const placed = (child: StackResource) =>
    readString(child.props, "id") !== UNKNOWN ||
    linked(child, "privateZoneName").length > 0 ||
    known(readString(child.props, "privateZoneName"));
  const children = [
    ...(topo.byKind.get("virtualNetworkLink") ?? []),
    ...(topo.byKind.get("privateRecordSet") ?? []),
  ];
  if (children.some((c) => !placed(c))) return true;
  return (topo.byKind.get("privateDnsZoneGroup") ?? []).some((g) => {
    const configs = readArray(g.props, "privateDnsZoneConfigs");
    return (
      configs === UNKNOWN ||
      (known(configs) && configs?.some((c) => isUnknown(readArmProp(c, "privateDnsZoneId"))))
    );
  });
}

/** The VNets a zone is linked to; `pending` when a link's VNet is not known yet. */
export function zoneLinks(topo: Topology, zone: ZoneInfo): { vnets: ArmId[]; pending: boolean } {
  const vnets: ArmId[] = [];
  let pending = false;
  for (const link of zoneChildren(topo, "virtualNetworkLink", zone)) {
    const v = readString(link.props, "virtualNetwork", "id");
    if (v === UNKNOWN) pending = true;
    else if (v) {
      const id = parseArmId(v);
      if (id) vnets.push(id);
    }
    // A link to a VNet declared in the stack, by dependency, while its id is unknown.
    if (v === UNKNOWN && linked(link, "virtualNetwork").length > 0) pending = true;
  }
  return { vnets, pending };
}

/**
 * Whether a VNet linked to the zone falls back to public resolution for names the zone does not
 * hold (the link's `resolutionPolicy: NxDomainRedirect`); otherwise Azure DNS answers NXDOMAIN.
 */
export function linkRedirectsNxDomain(topo: Topology, zone: ZoneInfo, vnet: ArmId): Known<boolean> {
  for (const link of zoneChildren(topo, "virtualNetworkLink", zone)) {
    const v = readString(link.props, "virtualNetwork", "id");
    if (!known(v) || parseArmId(v)?.key !== vnet.key) continue;
    const policy = readArmProp(link.props, "resolutionPolicy");
    if (isUnknown(policy)) return UNKNOWN;
    return typeof policy === "string" && policy.toLowerCase() === "nxdomainredirect";
  }
  return false;
}

/** A records of the zone, by relative name (lower case). */
export function zoneARecords(topo: Topology, zone: ZoneInfo): Set<string> {
  return perTopology(topo, `network:a-records:${zone.res.urn}`, () => readARecords(topo, zone));
}

function readARecords(topo: Topology, zone: ZoneInfo): Set<string> {
  const names = new Set<string>();
  for (const rs of zoneChildren(topo, "privateRecordSet", zone)) {
    const type = readString(rs.props, "recordType") ?? readString(rs.props, "type");
    if (known(type) && !/(^|\/)a$/i.test(type)) continue;
    const name = readString(rs.props, "relativeRecordSetName") ?? readString(rs.props, "name");
    if (known(name)) names.add(name.toLowerCase());
  }
  return names;
}

/** The addresses of the zone's A records, by relative name (lower case); UNKNOWN where not known yet. */
export function zoneARecordAddresses(topo: Topology, zone: ZoneInfo): Map<string, Known<string[]>> {
  const out = new Map<string, Known<string[]>>();
  for (const rs of zoneChildren(topo, "privateRecordSet", zone)) {
    const type = readString(rs.props, "recordType") ?? readString(rs.props, "type");
    if (known(type) && !/(^|\/)a$/i.test(type)) continue;
    const name = readString(rs.props, "relativeRecordSetName") ?? readString(rs.props, "name");
    if (!known(name)) continue;
    const records = readArmProp(rs.props, "aRecords");
    if (isUnknown(records)) {
      out.set(name.toLowerCase(), UNKNOWN);
      continue;
    }
    const ips = listOf(Array.isArray(records) ? records : []).map((r) => readArmProp(r, "ipv4Address"));
    out.set(
      name.toLowerCase(),
      ips.some(isUnknown) ? UNKNOWN : ips.filter((ip): ip is string => typeof ip === "string"),
    );
  }
  return out;
}

/** The names a private endpoint serves and their IPs (`customDnsConfigs`), relative to the registry zone. */
export function endpointRecords(pe: PrivateEndpointInfo): { name: string; fqdn: string; ips: string[] }[] {
  return listOf(readArray(pe.res.props, "customDnsConfigs")).flatMap((cfg) => {
    const fqdn = readArmProp(cfg, "fqdn");
    const ips = listOf(readArmProp(cfg, "ipAddresses") as unknown[]).filter(
      (ip): ip is string => typeof ip === "string",
    );
    if (typeof fqdn !== "string") return [];
    const name = fqdn.toLowerCase().replace(/\.azurecr\.(io|cn|us)$/, "");
    return name === fqdn.toLowerCase() ? [] : [{ name, fqdn: fqdn.toLowerCase(), ips }];
  });
}

/** Whether a private endpoint has a DNS zone group that puts its records in `zone` (Azure manages them). */
export function hasZoneGroup(topo: Topology, pe: StackResource, zone: ZoneInfo): boolean {
  const peName = readString(pe.props, "name") ?? pe.name;
  return zoneGroupsNamed(topo, pe.urn, String(peName)).some((g) => {
    const ofPe =
      linked(g, "privateEndpointName").includes(pe.urn) ||
      // A group planned for an endpoint the program does not declare names it by name (and group).
      (sameText(readString(g.props, "privateEndpointName"), String(peName)) === true &&
        sameText(readString(g.props, "resourceGroupName"), parseArmId(pe.props["id"])?.resourceGroup) !==
          false) ||
      (known(readString(g.props, "id")) &&
        (readString(g.props, "id") as string)
          .toLowerCase()
          .includes(`/privateendpoints/${String(peName).toLowerCase()}/`));
    if (!ofPe) return false;
    const configs = readArray(g.props, "privateDnsZoneConfigs");
    if (!known(configs)) return false;
    return configs.some((c) => {
      const zid = readArmProp(c, "privateDnsZoneId");
      const parsed = typeof zid === "string" ? parseArmId(zid) : undefined;
      return (
        linked(g, "privateDnsZoneConfigs").includes(zone.res.urn) ||
        (parsed !== undefined &&
          (zone.id ? parsed.key === zone.id.key : resourceName(parsed)?.toLowerCase() === zone.name))
      );
    });
  });
}

/**
 * The zone groups that may be an endpoint's: linked to it, or naming it (by `privateEndpointName`
 * or in their id), from an index built once per topology; hasZoneGroup decides among them. The
 * groups whose endpoint cannot be read yet are every endpoint's candidates.
 */
function zoneGroupsNamed(topo: Topology, peUrn: string, peName: string): StackResource[] {
  const index = perTopology(topo, "network:zone-groups", () => {
    const byUrn = new Map<string, StackResource[]>();
    const byName = new Map<string, StackResource[]>();
    const anyone: StackResource[] = [];
    const push = (m: Map<string, StackResource[]>, k: string, g: StackResource) => {
      const list = m.get(k) ?? [];
      if (!list.includes(g)) list.push(g);
      m.set(k, list);
    };
    for (const g of topo.byKind.get("privateDnsZoneGroup") ?? []) {
      let placed = false;
      for (const u of linked(g, "privateEndpointName")) {
        push(byUrn, u, g);
        placed = true;
      }
      const named = readString(g.props, "privateEndpointName");
      if (known(named)) {
        push(byName, named.toLowerCase(), g);
        placed = true;
      }
      const id = readString(g.props, "id");
      const inId = known(id) ? /\/privateendpoints\/([^/]+)\//i.exec(id)?.[1] : undefined;
      if (inId) {
        push(byName, inId.toLowerCase(), g);
        placed = true;
      }
      if (!placed) anyone.push(g);
    }
    return { byUrn, byName, anyone };
  });
  return [
    ...new Set([
      ...(index.byUrn.get(peUrn) ?? []),
      ...(index.byName.get(peName.toLowerCase()) ?? []),
      ...index.anyone,
    ]),
  ];
}

/** The VNets the stack or recording shows, by id key, once per topology (the first of a key). */
export function vnetsByKey(topo: Topology): Map<string, StackResource> {
  return perTopology(topo, "network:vnets-by-key", () => {
    const m = new Map<string, StackResource>();
    for (const r of topo.byKind.get("virtualNetwork") ?? []) {
      const id = read(r.props, "id");
      const key = typeof id === "string" ? parseArmId(id)?.key : undefined;
      if (key && !m.has(key)) m.set(key, r);
    }
    return m;
  });
}

/**
 * Where a VNet's names are resolved: `azure` (no custom DNS servers: Azure DNS, which answers from
 * the private DNS zones linked to this VNet), or the VNets of the stack that hold its custom DNS
 * servers (`dhcpOptions.dnsServers`: a resolver in the hub answers from the zones linked to *its*
 * VNet), or `elsewhere` when a server is in no VNet the stack shows (on premises, another
 * subscription): then which zone answers is not known here. UNKNOWN while the VNet's DNS settings
 * are.
 */
export type DnsPath =
  | { kind: "azure" }
  | { kind: "servers"; servers: string[]; vnets: ArmId[] }
  | { kind: "elsewhere"; servers: string[] };

export function dnsPathOf(topo: Topology, vnet: ArmId): Known<DnsPath> {
  const all = topo.byKind.get("virtualNetwork") ?? [];
  const res = vnetsByKey(topo).get(vnet.key);
  if (!res) return { kind: "azure" }; // the stack does not show the VNet's settings: Azure's default
  const servers = readArmProp(res.props, "dhcpOptions", "dnsServers");
  if (isUnknown(servers)) return UNKNOWN;
  const list = Array.isArray(servers) ? servers.filter((s): s is string => typeof s === "string") : [];
  if (list.length === 0) return { kind: "azure" };
  const holders: ArmId[] = [];
  for (const server of list) {
    const ip = parseCidr(server);
    const holder = all.find((r) => {
      const prefixes = readArmProp(r.props, "addressSpace", "addressPrefixes");
      return (
        Array.isArray(prefixes) &&
        prefixes.some((p) => {
          const range = typeof p === "string" ? parseCidr(p) : undefined;
          return ip !== undefined && range !== undefined && cidrContains(range, ip);
        })
      );
    });
    const id = holder ? read(holder.props, "id") : undefined;
    const parsed = typeof id === "string" ? parseArmId(id) : undefined;
    if (!parsed) return { kind: "elsewhere", servers: list };
    if (!holders.some((h) => h.key === parsed.key)) holders.push(parsed);
  }
  return { kind: "servers", servers: list, vnets: holders };
}
