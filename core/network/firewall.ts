/**
 * What filters a pull on the way out of the cluster's subnets: hub firewall rules (firewall-policy
 * rule collection groups and classic Azure Firewall rule collections), NSG rules and route tables.
 * Rules are read into one shape; raw ARM items (`properties` nested) and azure-native outputs
 * (flattened) both work.
 */
import { parseArmId, resourceName } from "../stack/arm-id";
import { Cidr, cidrContains, parseCidr } from "./cidr";
import { clusterSubnets } from "./network";
import { ClusterNode, perTopology, StackResource, Topology } from "../stack/topology";
import { isUnknown, Known, read, UNKNOWN, listOf, readArmProp } from "../stack/values";

function strings(v: unknown): string[] {
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === "string")
    : typeof v === "string"
      ? [v]
      : [];
}

export interface SubnetInfo {
  id: string;
  cidrs: Cidr[];
  nsg?: string;
  routeTable?: string;
}

/** The cluster's node subnets with their address ranges, NSG and route table, where the stack shows them. */
export function clusterSubnetInfo(topo: Topology, cluster: ClusterNode): Known<SubnetInfo[]> {
  // Every hop of every pair asks: once per cluster and topology.
  return perTopology(topo, `firewall:cluster-subnets:${cluster.res.urn}`, () =>
    subnetInfoRead(topo, cluster),
  );
}

function subnetInfoRead(topo: Topology, cluster: ClusterNode): Known<SubnetInfo[]> {
  const { subnets, pending } = clusterSubnets(topo, cluster);
  if (pending) return UNKNOWN;
  const all = allSubnets(topo);
  const found = new Map<string, SubnetInfo>();
  for (const s of subnets) {
    const info = all.get(s.key);
    if (info) found.set(s.key, info);
  }
  return [...found.values()];
}

/** Every subnet the stack shows (resources, and inline in VNets), by id key: read once per topology. */
function allSubnets(topo: Topology): Map<string, SubnetInfo> {
  return perTopology(topo, "firewall:all-subnets", () => {
    const out = new Map<string, SubnetInfo>();
    const add = (item: unknown) => {
      const id = read(item, "id");
      const key = typeof id === "string" ? parseArmId(id)?.key : undefined;
      if (!key) return;
      const prefixes = [
        ...strings(readArmProp(item, "addressPrefix")),
        ...strings(readArmProp(item, "addressPrefixes")),
      ];
      const nsg = readArmProp(item, "networkSecurityGroup", "id");
      const rt = readArmProp(item, "routeTable", "id");
      out.set(key, {
        id: id as string,
        cidrs: prefixes.map(parseCidr).filter((c): c is Cidr => c !== undefined),
        nsg: typeof nsg === "string" ? nsg : undefined,
        routeTable: typeof rt === "string" ? rt : undefined,
      });
    };
    for (const s of topo.byKind.get("subnet") ?? []) add(s.props);
    for (const v of topo.byKind.get("virtualNetwork") ?? [])
      for (const s of listOf(read(v.props, "subnets"))) add(s);
    return out;
  });
}

interface RuleBase {
  where: string;
  action: "allow" | "deny";
  /** The firewall policy's rule collection group it is in (a classic firewall's rules have none). */
  group?: { policyId?: string; name: string };
  /**
   * Where Azure Firewall takes it up within its type: the rule collection group's priority (0 for a
   * classic firewall), the rule collection's, then the rule's place in the collection.
   */
  order: number[];
  /** Source addresses, with those of the IP groups the stack shows. */
  sources: string[];
  /** Some source IP group is not in the stack (or not known yet): what it holds is not known. */
  sourcesUnknown: boolean;
  /** Some IP group it names is in the stack but its addresses are not known yet (preview). */
  groupsPending: boolean;
  /**
   * Its group's or collection's priority is not known yet (preview): `order` then places it after
   * every known priority, and a verdict it could change is not certain.
   */
  orderUnknown: boolean;
}

export interface NetworkRule extends RuleBase {
  /** Destination addresses and FQDNs, with those of the IP groups the stack shows. */
  destinations: string[];
  destinationsUnknown: boolean;
  ports: string[];
  protocols: string[];
}

export interface ApplicationRule extends RuleBase {
  fqdns: string[];
  /** `https:443`-style protocol and port pairs. */
  protocols: string[];
}

/** Past the highest priority Azure takes (65000): where a rule whose priority is not known yet sorts. */
const UNKNOWN_PRIORITY = 65001;

/** A priority as ARM gives it (a number, or a numeric string); `fallback` when absent, UNKNOWN while not known. */
export function priorityOf(v: unknown, fallback: number): Known<number> {
  if (isUnknown(v)) return UNKNOWN;
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

const sortable = (p: Known<number>) => (p === UNKNOWN ? UNKNOWN_PRIORITY : p);

function actionOf(v: unknown): "allow" | "deny" {
  const t = read(v, "type") ?? v;
  return typeof t === "string" && t.toLowerCase() === "deny" ? "deny" : "allow";
}

/** The addresses of IP groups (`Microsoft.Network/ipGroups`) by ARM id; UNKNOWN where not known yet. */
function ipGroupAddresses(topo: Topology): Map<string, Known<string[]>> {
  const out = new Map<string, Known<string[]>>();
  for (const g of topo.byKind.get("ipGroup") ?? []) {
    const id = read(g.props, "id");
    const key = typeof id === "string" ? parseArmId(id)?.key : undefined;
    if (!key) continue;
    const addresses = readArmProp(g.props, "ipAddresses");
    out.set(key, isUnknown(addresses) ? UNKNOWN : strings(addresses));
  }
  return out;
}

/** Addresses given inline plus those of the IP groups named; whether some group is not known. */
function withGroups(
  inline: string[],
  groupIds: unknown,
  groups: Map<string, Known<string[]>>,
): { addresses: string[]; unknown: boolean; pending: boolean } {
  const addresses = [...inline];
  let unknown = false;
  let pending = isUnknown(groupIds);
  for (const id of strings(groupIds)) {
    if (isUnknown(id)) {
      pending = true; // a group the stack is creating: its id is not known yet
      continue;
    }
    const held = groups.get(parseArmId(id)?.key ?? "");
    if (held === undefined || held === UNKNOWN) unknown = true;
    if (held === UNKNOWN) pending = true;
    else if (held !== undefined) addresses.push(...held);
  }
  return { addresses, unknown: unknown || pending, pending };
}

/** A network or application rule of a rule collection, whichever kind of firewall it belongs to. */
function readRule(
  r: unknown,
  collection: {
    where: string;
    action: "allow" | "deny";
    order: number[];
    orderUnknown: boolean;
    group?: { policyId?: string; name: string };
  },
  kind: "network" | "application",
  groups: Map<string, Known<string[]>>,
): NetworkRule | ApplicationRule {
  const src = withGroups(strings(read(r, "sourceAddresses")), read(r, "sourceIpGroups"), groups);
  const base = {
    ...collection,
    sources: src.addresses,
    sourcesUnknown: src.unknown,
    groupsPending: src.pending,
  };
  if (kind === "application") {
    const protocols = listOf(read(r, "protocols")).map(
      (p) => `${String(read(p, "protocolType") ?? "").toLowerCase()}:${String(read(p, "port") ?? "")}`,
    );
    return { ...base, fqdns: strings(read(r, "targetFqdns")), protocols };
  }
  const dst = withGroups(
    [...strings(read(r, "destinationAddresses")), ...strings(read(r, "destinationFqdns"))],
    read(r, "destinationIpGroups"),
    groups,
  );
  return {
    ...base,
    groupsPending: base.groupsPending || dst.pending,
    destinations: dst.addresses,
    destinationsUnknown: dst.unknown,
    ports: strings(read(r, "destinationPorts")),
    // Firewall policies name it ipProtocols; classic firewalls, protocols.
    protocols: [...strings(read(r, "ipProtocols")), ...strings(read(r, "protocols"))],
  };
}

function collectionOf(
  rc: unknown,
  where: string,
  groupPriority: Known<number>,
  group?: { policyId?: string; name: string },
) {
  const priority = priorityOf(readArmProp(rc, "priority"), 65000);
  return {
    where,
    ...(group ? { group } : {}),
    action: actionOf(readArmProp(rc, "action")),
    order: [sortable(groupPriority), sortable(priority)],
    orderUnknown: groupPriority === UNKNOWN || priority === UNKNOWN,
  };
}

const byOrder = <T extends { order: number[] }>(rules: T[]): T[] =>
  [...rules].sort((a, b) => {
    for (let i = 0; i < Math.max(a.order.length, b.order.length); i++) {
      const d = (a.order[i] ?? 0) - (b.order[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });

/**
 * Every firewall rule the stack shows (policy rule collection groups and classic firewalls), each
 * type in the order Azure Firewall takes it up: by rule collection group priority, then rule
 * collection priority, then place in the collection.
 */
export function firewallRules(
  topo: Topology,
  /** Rule collection groups to leave out, by name (e.g. the one the plan itself declares). */
  skipGroup: (name: string) => boolean = () => false,
): {
  network: NetworkRule[];
  application: ApplicationRule[];
  firewalls: number;
} {
  const network: NetworkRule[] = [];
  const application: ApplicationRule[] = [];
  const ipGroups = ipGroupAddresses(topo);
  const groups = (topo.byKind.get("firewallPolicyRuleCollectionGroup") ?? []).filter((g) => {
    const n = read(g.props, "name");
    return !skipGroup(typeof n === "string" ? n : g.name);
  });
  const classic = topo.byKind.get("azureFirewall") ?? [];
  for (const g of groups) {
    const groupPriority = priorityOf(readArmProp(g.props, "priority"), 65000);
    const group = groupOf(g);
    for (const rc of listOf(readArmProp(g.props, "ruleCollections"))) {
      const collection = collectionOf(
        rc,
        `rule collection '${String(read(rc, "name"))}' of '${g.name}'`,
        groupPriority,
        group,
      );
      listOf(readArmProp(rc, "rules")).forEach((r, i) => {
        const type = String(read(r, "ruleType") ?? "");
        const at = { ...collection, order: [...collection.order, i] };
        if (/network/i.test(type)) network.push(readRule(r, at, "network", ipGroups) as NetworkRule);
        else if (/application/i.test(type))
          application.push(readRule(r, at, "application", ipGroups) as ApplicationRule);
      });
    }
  }
  for (const fw of classic) {
    for (const kind of ["network", "application"] as const) {
      for (const rc of listOf(readArmProp(fw.props, `${kind}RuleCollections`))) {
        const collection = collectionOf(
          rc,
          `${kind} rule collection '${String(read(rc, "name"))}' of firewall '${fw.name}'`,
          0,
        );
        listOf(readArmProp(rc, "rules")).forEach((r, i) => {
          const rule = readRule(r, { ...collection, order: [...collection.order, i] }, kind, ipGroups);
          if (kind === "network") network.push(rule as NetworkRule);
          else application.push(rule as ApplicationRule);
        });
      }
    }
  }
  return {
    network: byOrder(network),
    application: byOrder(application),
    firewalls: groups.length + classic.length,
  };
}

/**
 * What Azure Firewall does with a TCP 443 connection from `source` to `dest` (the registry's
 * private-endpoint IP, reached for `fqdns`): network rules first, then application rules, each in
 * order; the first rule that matches decides (rules are terminating); none: denied by default. A
 * rule that would match but names an IP group the stack does not show leaves it `uncertain`, and so
 * does a matching rule of the other action whose place in the order is not known yet (a priority a
 * preview does not know), with that rule.
 */
export type FirewallVerdict =
  | { kind: "allow"; rule: NetworkRule | ApplicationRule }
  | { kind: "deny"; rule: NetworkRule | ApplicationRule }
  | { kind: "none" }
  | { kind: "uncertain"; rule: NetworkRule | ApplicationRule };

export function firewallVerdict(
  rules: { network: NetworkRule[]; application: ApplicationRule[] },
  source: Cidr,
  dest: Cidr,
  fqdns: string[],
): FirewallVerdict {
  const decided = firstMatch(rules, source, dest, fqdns);
  if (decided.kind !== "allow" && decided.kind !== "deny") return decided;
  // Network rules are all taken up before application rules, so a rival is of the same kind: one
  // that may match with the other action, where the order between the two is not known yet.
  const network = (rules.network as (NetworkRule | ApplicationRule)[]).includes(decided.rule);
  const rival = (network ? rules.network : rules.application).find(
    (r: NetworkRule | ApplicationRule) =>
      r !== decided.rule &&
      r.action !== decided.kind &&
      (r.orderUnknown || decided.rule.orderUnknown) &&
      (network
        ? networkMatch(r as NetworkRule, source, dest, fqdns)
        : applicationMatch(r as ApplicationRule, source, fqdns)) !== "no",
  );
  return rival ? { kind: "uncertain", rule: rival.orderUnknown ? rival : decided.rule } : decided;
}

type Match = "yes" | "maybe" | "no";

function networkMatch(r: NetworkRule, source: Cidr, dest: Cidr, fqdns: string[]): Match {
  if (!r.ports.some((p) => portCovers(p, 443)) || !r.protocols.some((p) => /^(tcp|any)$/i.test(p)))
    return "no";
  const from = r.sources.some((spec) => addressCovers(spec, source));
  const to = r.destinations.some(
    (d) => addressCovers(d, dest) || fqdns.some((f) => !parseCidr(d) && d !== "*" && fqdnCovers(d, f)),
  );
  if (from && to) return "yes";
  return (from || r.sourcesUnknown) && (to || r.destinationsUnknown) ? "maybe" : "no";
}

function applicationMatch(r: ApplicationRule, source: Cidr, fqdns: string[]): Match {
  if (fqdns.length === 0) return "no";
  if (!r.protocols.some((p) => p === "https:443" || p === "https:")) return "no";
  if (!fqdns.every((f) => r.fqdns.some((p) => fqdnCovers(p, f)))) return "no";
  if (r.sources.some((spec) => addressCovers(spec, source))) return "yes";
  return r.sourcesUnknown ? "maybe" : "no";
}

/** The first rule, in the order Azure Firewall takes them up, that matches (or may). */
function firstMatch(
  rules: { network: NetworkRule[]; application: ApplicationRule[] },
  source: Cidr,
  dest: Cidr,
  fqdns: string[],
): FirewallVerdict {
  for (const r of rules.network) {
    const m = networkMatch(r, source, dest, fqdns);
    if (m === "yes") return { kind: r.action, rule: r };
    if (m === "maybe") return { kind: "uncertain", rule: r };
  }
  for (const r of rules.application) {
    const m = applicationMatch(r, source, fqdns);
    if (m === "yes") return { kind: r.action, rule: r };
    if (m === "maybe") return { kind: "uncertain", rule: r };
  }
  return { kind: "none" };
}

/** Whether an address spec (`*`, a CIDR, an address) covers a range. */
export function addressCovers(spec: string, target: Cidr): boolean {
  if (spec === "*" || spec.toLowerCase() === "any") return true;
  const c = parseCidr(spec);
  return c !== undefined && cidrContains(c, target);
}

export function portCovers(spec: string, port: number): boolean {
  if (spec === "*") return true;
  const [a, b] = spec.split("-").map(Number);
  return b === undefined ? a === port : a <= port && port <= b;
}

export function fqdnCovers(pattern: string, fqdn: string): boolean {
  const p = pattern.toLowerCase();
  const f = fqdn.toLowerCase();
  if (p === "*" || p === f) return true;
  return p.startsWith("*.") && f.endsWith(p.slice(1));
}

export interface NsgBlock {
  nsg: StackResource;
  rule: string;
  priority: number;
  target: string;
}

/** The first outbound NSG rule (by priority) on TCP 443 to `target`, when it denies. */
export function nsgDenies(
  nsg: StackResource,
  target: { cidr?: Cidr; tags: string[] },
): Known<NsgBlock | undefined> {
  const rules = readArmProp(nsg.props, "securityRules");
  if (isUnknown(rules)) return UNKNOWN;
  const outbound = listOf(rules)
    .map((r) => ({
      name: String(read(r, "name") ?? ""),
      direction: String(readArmProp(r, "direction") ?? ""),
      access: String(readArmProp(r, "access") ?? ""),
      priority: priorityOf(readArmProp(r, "priority"), 4096),
      protocol: String(readArmProp(r, "protocol") ?? "*"),
      ports: [
        ...strings(readArmProp(r, "destinationPortRange")),
        ...strings(readArmProp(r, "destinationPortRanges")),
      ],
      dests: [
        ...strings(readArmProp(r, "destinationAddressPrefix")),
        ...strings(readArmProp(r, "destinationAddressPrefixes")),
      ],
    }))
    .filter((r) => r.direction.toLowerCase() === "outbound");
  // Which rule an NSG takes up first is not known while a priority is not (preview).
  if (outbound.some((r) => r.priority === UNKNOWN)) return UNKNOWN;
  const ordered = outbound
    .map((r) => ({ ...r, priority: r.priority as number }))
    .sort((a, b) => a.priority - b.priority);
  for (const r of ordered) {
    if (!/^(\*|tcp)$/i.test(r.protocol)) continue;
    if (!r.ports.some((p) => portCovers(p, 443))) continue;
    const hits = r.dests.some(
      (d) =>
        d === "*" ||
        target.tags.some((t) => t.toLowerCase() === d.toLowerCase()) ||
        (target.cidr !== undefined && addressCovers(d, target.cidr)),
    );
    if (!hits) continue;
    return r.access.toLowerCase() === "deny"
      ? { nsg, rule: r.name, priority: r.priority, target: target.cidr?.raw ?? target.tags[0] }
      : undefined;
  }
  return undefined;
}

/**
 * The hub firewall on the public path, for one FQDN the pull reaches (the login server, or where
 * layers come from): the registry's public addresses are not known here, so a network rule that
 * names addresses or service tags may or may not cover them (`uncertain`, never a failure); a
 * rule to `*` or naming the FQDN decides, and so do application rules on HTTPS. A storage FQDN
 * stands for an account whose name is not known: a rule naming another account is uncertain too.
 * None matching: denied (Azure Firewall denies what no rule allows).
 */
export function publicFirewallVerdict(
  rules: { network: NetworkRule[]; application: ApplicationRule[] },
  source: Cidr,
  fqdn: string,
): FirewallVerdict {
  const unknownAccount = /^\*\.blob\.core\.windows\.net$/i.test(fqdn);
  const covers = (pattern: string) =>
    unknownAccount
      ? /^\*(\.blob)?\.core\.windows\.net$/i.test(pattern) || pattern === "*"
        ? "yes"
        : /\.blob\.core\.windows\.net$/i.test(pattern)
          ? "maybe"
          : "no"
      : fqdnCovers(pattern, fqdn)
        ? "yes"
        : "no";
  const decide = (r: NetworkRule | ApplicationRule, m: Match): FirewallVerdict | undefined =>
    m === "no"
      ? undefined
      : m === "maybe" || r.orderUnknown
        ? { kind: "uncertain", rule: r }
        : { kind: r.action, rule: r };
  for (const r of rules.network) {
    if (!r.ports.some((p) => portCovers(p, 443)) || !r.protocols.some((p) => /^(tcp|any)$/i.test(p)))
      continue;
    const from = r.sources.some((spec) => addressCovers(spec, source));
    if (!from && !r.sourcesUnknown) continue;
    const to: Match[] = r.destinations.map((d) =>
      d === "*" || d.toLowerCase() === "any" ? "yes" : parseCidr(d) || !d.includes(".") ? "maybe" : covers(d),
    );
    const m: Match = to.includes("yes")
      ? "yes"
      : to.includes("maybe") || r.destinationsUnknown
        ? "maybe"
        : "no";
    const v = decide(r, m === "yes" && !from ? "maybe" : m);
    if (v) return v;
  }
  for (const r of rules.application) {
    if (!r.protocols.some((p) => p === "https:443" || p === "https:")) continue;
    const from = r.sources.some((spec) => addressCovers(spec, source));
    if (!from && !r.sourcesUnknown) continue;
    const to: Match[] = r.fqdns.map(covers);
    const m: Match = to.includes("yes") ? (from ? "yes" : "maybe") : to.includes("maybe") ? "maybe" : "no";
    const v = decide(r, m);
    if (v) return v;
  }
  return { kind: "none" };
}

/** A rule collection group's name and firewall policy (its id's parent), as ARM names them. */
function groupOf(g: StackResource): { policyId?: string; name: string } {
  const id = read(g.props, "id");
  const name = read(g.props, "name");
  const m =
    typeof id === "string"
      ? /^(.*\/firewallPolicies\/[^/]+)\/ruleCollectionGroups\/([^/]+)$/i.exec(id)
      : null;
  return { policyId: m?.[1], name: m?.[2] ?? (typeof name === "string" ? name : g.name) };
}

/** The rule collection group priority HubFirewallRegistryRule takes where nothing denies first. */
export const DEFAULT_FIREWALL_PRIORITY = 200;

/** The highest priority below `limit` (and at least `floor`, Azure's highest) that `taken` leaves free. */
export function freePriorityBelow(
  limit: number,
  taken: readonly number[],
  start = DEFAULT_FIREWALL_PRIORITY,
  floor = 100,
): number | undefined {
  for (let p = Math.min(limit - 1, start); p >= floor; p--) if (!taken.includes(p)) return p;
  return undefined;
}

/**
 * Where an allow goes in a firewall policy so that it decides before `deny` (or anywhere, with no
 * deny): a new rule collection group at a free priority ahead of the denying one; where none is
 * free, a collection in the denying group ahead of the denying collection. Undefined where the
 * stack does not show which policy (several, or a classic firewall), or no place is free.
 */
export type AllowPlacement =
  | { policy: string; newGroup: { name: string; priority: number } }
  | { policy: string; inGroup: { name: string; collectionPriority: number } };

export const ALLOW_GROUP_NAME = "aks-acr-guard-allow-acr";

export function allowPlacement(
  topo: Topology,
  deny: RuleBase | undefined,
  options: {
    /** The firewall policy, where the caller is given it (the program's config). */
    policy?: string;
    /** A group that takes no place: the program's own, judged without it so every run decides the same. */
    skipGroup?: (name: string) => boolean;
  } = {},
): AllowPlacement | undefined {
  const groups = (topo.byKind.get("firewallPolicyRuleCollectionGroup") ?? [])
    .map((g) => ({ g, ...groupOf(g) }))
    .filter((g) => !options.skipGroup?.(g.name));
  const policies = [...new Set(groups.flatMap((g) => (g.policyId ? [g.policyId.toLowerCase()] : [])))];
  const policy =
    deny?.group?.policyId ??
    options.policy ??
    (policies.length === 1 ? groups.find((g) => g.policyId)?.policyId : undefined);
  if (!policy || (deny && !deny.group)) return undefined;
  const ofPolicy = groups.filter((g) => g.policyId?.toLowerCase() === policy.toLowerCase());
  const known = (v: Known<number>): v is number => v !== UNKNOWN && Number.isInteger(v);
  const taken = ofPolicy.map((g) => priorityOf(readArmProp(g.g.props, "priority"), NaN)).filter(known);
  const priority = freePriorityBelow(deny ? deny.order[0] : Infinity, taken);
  if (priority !== undefined) return { policy, newGroup: { name: ALLOW_GROUP_NAME, priority } };
  if (!deny?.group) return undefined;
  const denying = ofPolicy.find((g) => g.name.toLowerCase() === deny.group!.name.toLowerCase());
  const collections = listOf(readArmProp(denying?.g.props, "ruleCollections"))
    .map((rc) => priorityOf(readArmProp(rc, "priority"), NaN))
    .filter(known);
  const collectionPriority = freePriorityBelow(deny.order[1], collections, 65000);
  return collectionPriority === undefined
    ? undefined
    : { policy, inGroup: { name: deny.group.name, collectionPriority } };
}

/**
 * The `az` commands that place an allow filter collection as `placement` says: the group first
 * where it is new, then the collection (`rule`: the collection's own arguments, from --rule-name on).
 */
export function allowCommands(placement: AllowPlacement, collection: string, rule: string): string[] {
  const id = parseArmId(placement.policy)!;
  const at = `--subscription ${id.subscriptionId} -g ${id.resourceGroup} --policy-name ${resourceName(id)}`;
  const group = "newGroup" in placement ? placement.newGroup.name : placement.inGroup.name;
  const collectionPriority = "newGroup" in placement ? 100 : placement.inGroup.collectionPriority;
  return [
    ...("newGroup" in placement
      ? [
          `az network firewall policy rule-collection-group create ${at} -n ${group} --priority ${placement.newGroup.priority}`,
        ]
      : []),
    `az network firewall policy rule-collection-group collection add-filter-collection ${at} ` +
      `--rule-collection-group-name ${group} -n ${collection} --action Allow --collection-priority ${collectionPriority} ${rule}`,
  ];
}

/**
 * The `az` commands that let TCP 443 out of an NSG that denies it: an allow at a free priority ahead
 * of the deny; where none is free (the deny holds 100, Azure's highest, or every number above it is
 * taken), the deny moves to the first free priority after its own and the allow takes its place.
 */
export function nsgAllowCommands(block: NsgBlock, destinations: string): string[] {
  const id = parseArmId(read(block.nsg.props, "id"));
  const at = id
    ? `--subscription ${id.subscriptionId} -g ${id.resourceGroup} --nsg-name ${resourceName(id)}`
    : `--nsg-name ${block.nsg.name}`;
  const taken = listOf(readArmProp(block.nsg.props, "securityRules"))
    .filter((r) => String(readArmProp(r, "direction") ?? "").toLowerCase() === "outbound")
    .map((r) => priorityOf(readArmProp(r, "priority"), NaN))
    .filter((p): p is number => p !== UNKNOWN && Number.isInteger(p));
  const allow = (priority: number) =>
    `az network nsg rule create ${at} -n allow-acr-443 --priority ${priority} --direction Outbound --access Allow ` +
    `--protocol Tcp --destination-port-ranges 443 --destination-address-prefixes ${destinations}`;
  const free = freePriorityBelow(block.priority, taken, block.priority - 1);
  if (free !== undefined) return [allow(free)];
  let moved = block.priority + 1;
  while (taken.includes(moved)) moved++;
  return [`az network nsg rule update ${at} -n ${block.rule} --priority ${moved}`, allow(block.priority)];
}
