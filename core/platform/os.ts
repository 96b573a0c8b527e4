/**
 * Node operating systems (Microsoft's article, cause 5: "no match for platform in manifest"): the
 * OSes a cluster's pools run, the OS a workload pins, and images known to be Windows-only.
 */
import { ClusterNode, clusterPools, perTopology, Topology } from "../stack/topology";
import { isUnknown, Known, listOf, read, UNKNOWN } from "../stack/values";

export type NodeOs = "linux" | "windows";

/** The OSes of all the cluster's pools (`osType`, Linux when unset), memoized per request. */
export function clusterOses(topo: Topology, cluster: ClusterNode): Known<Set<NodeOs>> {
  const memo = perTopology(topo, "cluster-oses", () => new Map<ClusterNode, Known<Set<NodeOs>>>());
  if (!memo.has(cluster)) memo.set(cluster, osesOf(topo, cluster));
  return memo.get(cluster)!;
}

function osesOf(topo: Topology, cluster: ClusterNode): Known<Set<NodeOs>> {
  const pools = clusterPools(topo, cluster);
  if (pools === UNKNOWN) return UNKNOWN;
  const out = new Set<NodeOs>();
  for (const p of pools) {
    const os = read(p, "osType");
    if (isUnknown(os)) return UNKNOWN;
    out.add(typeof os === "string" && os.toLowerCase() === "windows" ? "windows" : "linux");
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
    const pinned = listOf(read(t, "matchExpressions")).find(
      (e) => read(e, "key") === key && read(e, "operator") === "In" && Array.isArray(read(e, "values")),
    );
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
