/**
 * Node operating systems (Microsoft's article, cause 5: "no match for platform in manifest"): the
 * OSes a cluster's pools run, the OS a workload pins, and images known to be Windows-only.
 */
import { agentPoolsOf, ClusterNode, perTopology, Topology } from "./topology";
import { isUnknown, Known, read, UNKNOWN } from "./values";

export type NodeOs = "linux" | "windows";

/** The OSes of a cluster's pools (`agentPoolProfiles[].osType`, Linux when unset), or of an AgentPool. */
export function poolOses(props: Record<string, unknown>, isAgentPool: boolean): Known<Set<NodeOs>> {
  const profiles = isAgentPool ? [props] : read(props, "agentPoolProfiles");
  if (isUnknown(profiles)) return UNKNOWN;
  const out = new Set<NodeOs>();
  for (const p of Array.isArray(profiles) ? profiles : []) {
    const os = read(p, "osType");
    if (isUnknown(os)) return UNKNOWN;
    out.add(typeof os === "string" && os.toLowerCase() === "windows" ? "windows" : "linux");
  }
  return out;
}

/** The OSes of all the cluster's pools: its profiles and the stack's AgentPools of it. */
export function clusterOses(topo: Topology, cluster: ClusterNode): Known<Set<NodeOs>> {
  const memo = perTopology(topo, "cluster-oses", () => new Map<ClusterNode, Known<Set<NodeOs>>>());
  if (!memo.has(cluster)) memo.set(cluster, osesOf(topo, cluster));
  return memo.get(cluster)!;
}

function osesOf(topo: Topology, cluster: ClusterNode): Known<Set<NodeOs>> {
  const out = poolOses(cluster.res.props, false);
  if (out === UNKNOWN) return UNKNOWN;
  for (const pool of agentPoolsOf(topo, cluster)) {
    const oses = poolOses(pool.props, true);
    if (oses === UNKNOWN) return UNKNOWN;
    oses.forEach((o) => out.add(o));
  }
  return out;
}

export interface OsPin {
  os: string;
  /** Where: `nodeSelector`, `os.name`, or `affinity`. */
  via: string;
}

/**
 * The values a pod spec pins a node label to: `nodeSelector[key]`, or a required node-affinity
 * term `key In [...]` (every term must pin it for the pod to be held to it).
 */
export function nodeLabelPin(
  spec: Record<string, unknown>,
  key: string,
): Known<{ values: string[]; via: string } | undefined> {
  const selector = read(spec, "nodeSelector", key);
  if (isUnknown(selector)) return UNKNOWN;
  if (typeof selector === "string")
    return { values: [selector.toLowerCase()], via: `nodeSelector["${key}"]` };
  const terms = read(
    spec,
    "affinity",
    "nodeAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
  );
  if (isUnknown(terms)) return UNKNOWN;
  const values = new Set<string>();
  for (const t of Array.isArray(terms) ? terms : []) {
    const pinned = (
      Array.isArray(read(t, "matchExpressions")) ? (read(t, "matchExpressions") as unknown[]) : []
    ).find((e) => read(e, "key") === key && read(e, "operator") === "In" && Array.isArray(read(e, "values")));
    // A term that leaves the label free lets the pod land anywhere it matches.
    if (!pinned) return undefined;
    (read(pinned, "values") as unknown[]).forEach((v) => values.add(String(v).toLowerCase()));
  }
  return values.size > 0
    ? { values: [...values], via: `a required node-affinity term on ${key}` }
    : undefined;
}

/** The OS a pod spec pins: `nodeSelector["kubernetes.io/os"]`, `os.name`, or a required node-affinity term. */
export function osPin(spec: Record<string, unknown>): Known<OsPin | undefined> {
  const selector = read(spec, "nodeSelector", "kubernetes.io/os");
  if (isUnknown(selector)) return UNKNOWN;
  if (typeof selector === "string")
    return { os: selector.toLowerCase(), via: 'nodeSelector["kubernetes.io/os"]' };
  const osName = read(spec, "os", "name");
  if (isUnknown(osName)) return UNKNOWN;
  if (typeof osName === "string") return { os: osName.toLowerCase(), via: "os.name" };
  const pin = nodeLabelPin(spec, "kubernetes.io/os");
  if (pin === UNKNOWN) return UNKNOWN;
  return pin && pin.values.length === 1 ? { os: pin.values[0], via: pin.via } : undefined;
}

/** Images that only run on Windows nodes. */
export function isWindowsImage(image: string): boolean {
  const i = image.toLowerCase();
  return i.startsWith("mcr.microsoft.com/windows/") || i.includes("nanoserver") || i.includes("servercore");
}
