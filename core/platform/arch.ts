/**
 * CPU architectures (Microsoft's article, cause 1b: an image built for another architecture than
 * the node's): the architecture of a node pool from its VM size, the architectures a workload pins,
 * and the platforms an image offers where the observer or a recording read its manifest.
 */
import { parseImage } from "../stack/images";
import { clustersOf } from "../stack/pull-pairs";
import { nodeLabelPin } from "./os";
import { ClusterNode, clusterPools, StackResource, Topology, perTopology } from "../stack/topology";
import { isUnknown, Known, read, UNKNOWN } from "../stack/values";

export type Arch = "amd64" | "arm64";

/**
 * Azure's Arm-based sizes carry `p` among the feature letters after the vCPU count: Dpsv5, Dpdsv5,
 * Dplsv5, Epsv5, Dpsv6, Bpsv2 (`Standard_D4ps_v5`, `Standard_E8pds_v5`, `Standard_B2pls_v2`).
 */
const ARM64_SIZE = /^standard_[a-z]+\d+(?:-\d+)?[a-z]*p[a-z]*_v\d+$/i;

export function vmSizeArch(vmSize: string): Arch {
  return ARM64_SIZE.test(vmSize) ? "arm64" : "amd64";
}

/** A Linux node pool's architecture, for messages: its name and VM size. */
export interface PoolArch {
  pool: string;
  vmSize: string;
  arch: Arch;
}

/** The cluster's Linux pools (Windows pools run no Linux image, and are amd64), one per architecture. */
export function clusterArches(topo: Topology, cluster: ClusterNode): Known<Map<Arch, PoolArch>> {
  const memo = perTopology(topo, "cluster-arches", () => new Map<ClusterNode, Known<Map<Arch, PoolArch>>>());
  if (!memo.has(cluster)) memo.set(cluster, archesOf(topo, cluster));
  return memo.get(cluster)!;
}

function archesOf(topo: Topology, cluster: ClusterNode): Known<Map<Arch, PoolArch>> {
  const pools = clusterPools(topo, cluster);
  if (pools === UNKNOWN) return UNKNOWN;
  const out = new Map<Arch, PoolArch>();
  for (const p of pools) {
    const size = read(p, "vmSize");
    const os = read(p, "osType");
    if (isUnknown(size) || isUnknown(os)) return UNKNOWN;
    if (typeof os === "string" && os.toLowerCase() === "windows") continue;
    // AKS's default sizes are amd64.
    const arch = typeof size === "string" ? vmSizeArch(size) : "amd64";
    const name = read(p, "name") ?? read(p, "agentPoolName");
    if (!out.has(arch))
      out.set(arch, {
        pool: String(name ?? "?"),
        vmSize: typeof size === "string" ? size : "(default size)",
        arch,
      });
  }
  return out;
}

/** The architectures a pod spec pins through `kubernetes.io/arch`; undefined when it pins none. */
export function archPin(spec: Record<string, unknown>): Known<{ arches: string[]; via: string } | undefined> {
  const pin = nodeLabelPin(spec, "kubernetes.io/arch");
  if (pin === UNKNOWN) return UNKNOWN;
  return pin ? { arches: pin.values, via: pin.via } : undefined;
}

/** What the observer or a recording read of an image's manifest: the platforms it offers. */
export interface ImagePlatforms {
  res: StackResource;
  image: string;
  /** `linux/amd64`, `linux/arm64/v8`, ... */
  platforms: string[];
}

/** An image's identity for matching: host/repository and the digest, else the tag (`latest` when none). */
function imageKeys(image: string, digest?: unknown): string[] {
  const parsed = parseImage(image);
  if (!parsed.ok) return [];
  const { host, repository, tag, digest: own } = parsed.ref;
  const base = `${host.toLowerCase()}/${repository}`;
  const keys = [`${base}:${tag ?? "latest"}`];
  for (const d of [own, digest])
    if (typeof d === "string" && d !== "") keys.push(`${base}@${d.toLowerCase()}`);
  return keys;
}

/** The platforms the stack knows for an image (by digest when the reference pins one, else by tag). */
export function platformsOf(topo: Topology, image: string): ImagePlatforms | undefined {
  const index = perTopology(topo, "image-platforms", () => {
    const map = new Map<string, ImagePlatforms>();
    for (const res of topo.byKind.get("imagePlatforms") ?? []) {
      const recorded = read(res.props, "image");
      const platforms = read(res.props, "platforms");
      if (typeof recorded !== "string" || !Array.isArray(platforms)) continue;
      const entry = {
        res,
        image: recorded,
        platforms: platforms.filter((p): p is string => typeof p === "string").map((p) => p.toLowerCase()),
      };
      for (const k of imageKeys(recorded, read(res.props, "digest"))) map.set(k, entry);
    }
    return map;
  });
  const keys = imageKeys(image);
  // A digest names exactly one manifest: prefer it to the tag, which moves.
  for (const k of [...keys].reverse()) {
    const hit = index.get(k);
    if (hit) return hit;
  }
  return undefined;
}

/** Whether an image's platforms include Linux on this architecture (`linux/arm64`, `linux/arm64/v8`). */
export function offersArch(platforms: readonly string[], arch: Arch): boolean {
  return platforms.some((p) => {
    const [os, a] = p.split("/");
    return os === "linux" && a === arch;
  });
}

/**
 * The Linux pools each cluster the workload may run on offers, narrowed to the architectures it
 * pins: its own cluster when the stack shows which (`certain`), else every cluster of the stack.
 */
export function landingPools(
  topo: Topology,
  w: StackResource,
  pinned: readonly string[] | undefined,
): Known<{ certain: boolean; clusters: { label: string; pools: PoolArch[] }[] }> {
  const { clusters, certain } = clustersOf(topo, w);
  const pools = (c: ClusterNode) => {
    const arches = clusterArches(topo, c);
    return arches === UNKNOWN
      ? UNKNOWN
      : [...arches.values()].filter((p) => !pinned || pinned.includes(p.arch));
  };
  if (certain) {
    const out: { label: string; pools: PoolArch[] }[] = [];
    for (const c of clusters) {
      const ps = pools(c);
      if (ps === UNKNOWN) return UNKNOWN;
      out.push({ label: c.label, pools: ps });
    }
    return { certain, clusters: out };
  }
  // Every cluster of the stack: decided once per request, one cluster per set of architectures
  // (what "every cluster" and "some cluster" questions need), not once per workload.
  return perTopology(topo, `landing-pools:any:${pinned?.join(",") ?? "*"}`, () => {
    const bySignature = new Map<string, { label: string; pools: PoolArch[] }>();
    for (const c of clusters) {
      const ps = pools(c);
      if (ps === UNKNOWN) return UNKNOWN;
      const signature = ps
        .map((p) => p.arch)
        .sort()
        .join("+");
      if (!bySignature.has(signature)) bySignature.set(signature, { label: c.label, pools: ps });
    }
    return { certain: false, clusters: [...bySignature.values()] };
  });
}
