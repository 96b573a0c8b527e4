/**
 * What filters a pull on the way out of the cluster's subnets: hub firewall rules (firewall-policy
 * rule collection groups and classic Azure Firewall rule collections), NSG rules and route tables.
 * Rules are read into one shape; raw ARM items (`properties` nested) and azure-native outputs
 * (flattened) both work.
 */
import { parseArmId } from "./arm-id";
import { Cidr, cidrContains, parseCidr } from "./cidr";
import { clusterSubnets } from "./network";
import { ClusterNode, StackResource, Topology } from "./topology";
import { isUnknown, Known, read, UNKNOWN, listOf, readArmProp } from "./values";

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
  const { subnets, pending } = clusterSubnets(topo, cluster);
  if (pending) return UNKNOWN;
  const wanted = new Map(subnets.map((s) => [s.key, s]));
  const found = new Map<string, SubnetInfo>();
  const add = (item: unknown) => {
    const id = read(item, "id");
    const key = typeof id === "string" ? parseArmId(id)?.key : undefined;
    if (!key || !wanted.has(key)) return;
    const prefixes = [
      ...strings(readArmProp(item, "addressPrefix")),
      ...strings(readArmProp(item, "addressPrefixes")),
    ];
    const nsg = readArmProp(item, "networkSecurityGroup", "id");
    const rt = readArmProp(item, "routeTable", "id");
    found.set(key, {
      id: id as string,
      cidrs: prefixes.map(parseCidr).filter((c): c is Cidr => c !== undefined),
      nsg: typeof nsg === "string" ? nsg : undefined,
      routeTable: typeof rt === "string" ? rt : undefined,
    });
  };
  for (const s of topo.byKind.get("subnet") ?? []) add(s.props);
  for (const v of topo.byKind.get("virtualNetwork") ?? [])
    for (const s of listOf(read(v.props, "subnets"))) add(s);
  return [...found.values()];
}

export interface NetworkRule {
  where: string;
  action: "allow" | "deny";
  priority: number;
  sources: string[];
  destinations: string[];
  ports: string[];
  protocols: string[];
}

export interface ApplicationRule {
  where: string;
  action: "allow" | "deny";
  sources: string[];
  fqdns: string[];
  /** `https:443`-style protocol and port pairs. */
  protocols: string[];
}

function actionOf(v: unknown): "allow" | "deny" {
  const t = read(v, "type") ?? v;
  return typeof t === "string" && t.toLowerCase() === "deny" ? "deny" : "allow";
}

/** A network or application rule of a rule collection, whichever kind of firewall it belongs to. */
function readRule(
  r: unknown,
  collection: { where: string; action: "allow" | "deny"; priority: number },
  kind: "network" | "application",
): NetworkRule | ApplicationRule {
  const sources = strings(read(r, "sourceAddresses"));
  if (kind === "application") {
    const protocols = listOf(read(r, "protocols")).map(
      (p) => `${String(read(p, "protocolType") ?? "").toLowerCase()}:${String(read(p, "port") ?? "")}`,
    );
    return {
      where: collection.where,
      action: collection.action,
      sources,
      fqdns: strings(read(r, "targetFqdns")),
      protocols,
    };
  }
  return {
    ...collection,
    sources,
    destinations: [...strings(read(r, "destinationAddresses")), ...strings(read(r, "destinationFqdns"))],
    ports: strings(read(r, "destinationPorts")),
    // Firewall policies name it ipProtocols; classic firewalls, protocols.
    protocols: [...strings(read(r, "ipProtocols")), ...strings(read(r, "protocols"))],
  };
}

function collectionOf(rc: unknown, where: string) {
  return {
    where,
    action: actionOf(readArmProp(rc, "action")),
    priority: Number(readArmProp(rc, "priority") ?? 65000),
  };
}

/** Every firewall rule the stack shows: policy rule collection groups and classic firewalls. */
export function firewallRules(topo: Topology): {
  network: NetworkRule[];
  application: ApplicationRule[];
  firewalls: number;
} {
  const network: NetworkRule[] = [];
  const application: ApplicationRule[] = [];
  const groups = topo.byKind.get("firewallPolicyRuleCollectionGroup") ?? [];
  const classic = topo.byKind.get("azureFirewall") ?? [];
  for (const g of groups) {
    for (const rc of listOf(readArmProp(g.props, "ruleCollections"))) {
      const collection = collectionOf(rc, `rule collection '${String(read(rc, "name"))}' of '${g.name}'`);
      for (const r of listOf(readArmProp(rc, "rules"))) {
        const type = String(read(r, "ruleType") ?? "");
        if (/network/i.test(type)) network.push(readRule(r, collection, "network") as NetworkRule);
        else if (/application/i.test(type))
          application.push(readRule(r, collection, "application") as ApplicationRule);
      }
    }
  }
  for (const fw of classic) {
    for (const kind of ["network", "application"] as const) {
      for (const rc of listOf(readArmProp(fw.props, `${kind}RuleCollections`))) {
        const collection = collectionOf(
          rc,
          `${kind} rule collection '${String(read(rc, "name"))}' of firewall '${fw.name}'`,
        );
        for (const r of listOf(readArmProp(rc, "rules"))) {
          if (kind === "network") network.push(readRule(r, collection, kind) as NetworkRule);
          else application.push(readRule(r, collection, kind) as ApplicationRule);
        }
      }
    }
  }
  return { network, application, firewalls: groups.length + classic.length };
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

/** Whether a firewall lets traffic from every range of `sources` to `dest` on TCP 443. */
export function networkAllows(rules: NetworkRule[], sources: Cidr[], dest: Cidr): NetworkRule | undefined {
  return rules.find(
    (r) =>
      r.action === "allow" &&
      sources.every((s) => r.sources.some((spec) => addressCovers(spec, s))) &&
      r.destinations.some((d) => addressCovers(d, dest)) &&
      r.ports.some((p) => portCovers(p, 443)) &&
      r.protocols.some((p) => /^(tcp|any)$/i.test(p)),
  );
}

export function applicationAllows(
  rules: ApplicationRule[],
  sources: Cidr[],
  fqdns: string[],
): ApplicationRule | undefined {
  return rules.find(
    (r) =>
      r.action === "allow" &&
      sources.every((s) => r.sources.some((spec) => addressCovers(spec, s))) &&
      fqdns.every((f) => r.fqdns.some((p) => fqdnCovers(p, f))) &&
      r.protocols.some((p) => p === "https:443" || p === "https:"),
  );
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
      priority: Number(readArmProp(r, "priority") ?? 4096),
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
    .filter((r) => r.direction.toLowerCase() === "outbound")
    .sort((a, b) => a.priority - b.priority);
  for (const r of outbound) {
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
