/**
 * Which cluster pulls from which registry: decided here, once, for every policy.
 */
import type { DeclaredPull, PullPair } from "./pair";
import { parseImage } from "./images";
import { assignedTo, assignmentsNear, scopeCovers } from "../identity/grants";
import {
  AssignmentNode,
  ClusterNode,
  linked,
  perTopology,
  RegistryNode,
  StackResource,
  Topology,
} from "./topology";
import { containerImages } from "./workloads";
import { known, sameText, UNKNOWN } from "./values";

export type { DeclaredPull, PullPair } from "./pair";

/** The login server each registry answers at, for matching image hosts. */
export function registryByLoginServer(topo: Topology): Map<string, RegistryNode> {
  const map = new Map<string, RegistryNode>();
  for (const r of topo.registries) {
    if (known(r.loginServer)) map.set(r.loginServer.toLowerCase(), r);
    else if (known(r.name)) map.set(`${r.name.toLowerCase()}.azurecr.io`, r);
  }
  return map;
}

/**
 * The clusters a Kubernetes resource runs on: the cluster its provider's kubeconfig came from, or,
 * when that link is not in the stack, every cluster of the stack (`certain` then only when there is
 * one).
 */
export function clustersOf(
  topo: Topology,
  res: StackResource,
): { clusters: ClusterNode[]; certain: boolean } {
  const provider = res.provider ? topo.byUrn.get(res.provider) : undefined;
  if (provider) {
    const byUrn = clustersByUrn(topo);
    const from = new Set([...linked(provider, "kubeconfig"), ...provider.dependencies]);
    const linkedClusters = [...from].flatMap((u) => byUrn.get(u) ?? []);
    if (linkedClusters.length > 0) return { clusters: linkedClusters, certain: true };
    // A kubeconfig written out rather than computed from the cluster: the API server it names.
    const host = serverHost(provider.props.kubeconfig);
    const byHost = host ? clustersByHost(topo).get(host) : undefined;
    if (byHost) return { clusters: [byHost], certain: true };
  }
  return { clusters: topo.clusters, certain: topo.clusters.length === 1 };
}

/**
 * Which cluster pulls from which registry, decided here for every policy:
 * 1. `declared` (policy config) when given: exactly those pairs, certain;
 * 2. otherwise, for each cluster, the registries the evidence in the stack names: the login servers
 *    of the images its workloads run (certain where the workload's cluster is), and registries on
 *    which one of its identities holds a role (certain);
 * 3. a cluster with no such evidence: none, when workloads the stack places on it all pull from
 *    elsewhere; the only registry, certain, in a stack of one cluster and one registry; otherwise
 *    every registry of the stack, each a guess.
 */
export function pullPairs(topo: Topology, declared?: readonly DeclaredPull[]): PullPair[] {
  // Every policy asks, over the same request's topology: decided once per topology and config.
  return perTopology(topo, `pull-pairs:${JSON.stringify(declared ?? [])}`, () =>
    decidePullPairs(topo, declared),
  );
}

function clustersByUrn(topo: Topology): Map<string, ClusterNode> {
  return perTopology(
    topo,
    "pull-pairs:clusters-by-urn",
    () => new Map(topo.clusters.map((c) => [c.res.urn, c])),
  );
}

/** The API server host a kubeconfig names (`server: https://<host>:443`). */
export function serverHost(kubeconfig: unknown): string | undefined {
  if (typeof kubeconfig !== "string") return undefined;
  const m = /server:\s*["']?https?:\/\/([^:/"'\s]+)/i.exec(kubeconfig);
  return m?.[1].toLowerCase();
}

/** Clusters by the API server hosts their outputs name (`fqdn`, `privateFQDN`). */
function clustersByHost(topo: Topology): Map<string, ClusterNode> {
  return perTopology(topo, "pull-pairs:clusters-by-host", () => {
    const map = new Map<string, ClusterNode>();
    for (const c of topo.clusters)
      for (const key of ["fqdn", "privateFQDN"]) {
        const host = c.res.props[key];
        if (typeof host === "string" && host !== "" && known(host)) map.set(host.toLowerCase(), c);
      }
    return map;
  });
}

/** The clusters an assignment's principal may be an identity of, by URN and object or client id. */
function clustersByPrincipal(topo: Topology): (a: AssignmentNode) => ClusterNode[] {
  const index = new Map<string, ClusterNode[]>();
  const add = (k: unknown, c: ClusterNode) => {
    if (typeof k !== "string" || k === "") return;
    const key = k.toLowerCase();
    const list = index.get(key) ?? [];
    if (!list.includes(c)) list.push(c);
    index.set(key, list);
  };
  for (const c of topo.clusters) {
    add(c.res.urn, c);
    for (const p of [c.identity, ...c.controlPlane]) {
      p.urns.forEach((u) => add(u, c));
      if (known(p.objectId)) add(p.objectId, c);
    }
    if (known(c.identity.clientId)) add(c.identity.clientId, c);
  }
  return (a) => {
    const keys = [...a.principalUrns, ...(known(a.principalId) ? [a.principalId] : [])];
    return [...new Set(keys.flatMap((k) => index.get(k.toLowerCase()) ?? []))];
  };
}

function decidePullPairs(topo: Topology, declared?: readonly DeclaredPull[]): PullPair[] {
  if (declared && declared.length > 0) {
    const named = <T extends { res: StackResource; label: string }>(list: T[], name: string) =>
      list.filter((n) => n.label.toLowerCase() === name.toLowerCase() || n.res.name === name);
    return declared.flatMap((d) =>
      named(topo.clusters, d.cluster).flatMap((cluster) =>
        named(topo.registries, d.registry).map((registry) => ({
          cluster,
          registry,
          evidence: "config" as const,
          certain: true,
        })),
      ),
    );
  }
  const evidence = new Map<ClusterNode, Map<RegistryNode, { why: PullPair["evidence"]; certain: boolean }>>();
  const note = (c: ClusterNode, r: RegistryNode, why: PullPair["evidence"], certain: boolean) => {
    const m = evidence.get(c) ?? new Map<RegistryNode, { why: PullPair["evidence"]; certain: boolean }>();
    const had = m.get(r);
    if (!had || (certain && !had.certain)) m.set(r, { why, certain });
    evidence.set(c, m);
  };
  /** Clusters the stack certainly places a workload on: their registries are what those workloads say. */
  const placed = new Set<ClusterNode>();
  const undecided = new Set<ClusterNode>();
  /** Registries of workloads whose cluster the stack cannot tell: some cluster pulls from each. */
  const fromSomeCluster = new Set<RegistryNode>();
  const byServer = registryByLoginServer(topo);
  for (const w of topo.workloads) {
    const { clusters, certain } = clustersOf(topo, w);
    const images = containerImages(w);
    if (certain)
      clusters.forEach((c) => (images.some((i) => i.image === UNKNOWN) ? undecided : placed).add(c));
    for (const { image } of images) {
      if (!known(image)) continue;
      const parsed = parseImage(image);
      const registry = parsed.ok ? byServer.get(parsed.ref.host.toLowerCase()) : undefined;
      if (!registry) continue;
      if (certain) for (const c of clusters) note(c, registry, "workload", true);
      else fromSomeCluster.add(registry);
    }
  }
  const principalsOf = clustersByPrincipal(topo);
  for (const r of topo.registries) {
    for (const a of assignmentsNear(topo, r)) {
      if (scopeCovers(topo, a, r) !== true) continue;
      for (const c of principalsOf(a)) if (holdsFor(a, c)) note(c, r, "role assignment", true);
    }
  }
  const single = topo.clusters.length === 1 && topo.registries.length === 1;
  // A registry such a workload names, and no certain pair covers, is a guess for every cluster;
  // one a certain pair covers is most likely that cluster's (never clusters x registries).
  const covered = new Set([...evidence.values()].flatMap((m) => [...m.keys()]));
  const unclaimed = [...fromSomeCluster].filter((r) => !covered.has(r));
  return topo.clusters.flatMap((cluster): PullPair[] => {
    const ev = evidence.get(cluster);
    const guesses = unclaimed
      .filter((registry) => !ev?.has(registry))
      .map((registry) => ({ cluster, registry, evidence: "workload" as const, certain: false }));
    if (ev)
      return [
        ...[...ev].map(([registry, { why, certain }]) => ({ cluster, registry, evidence: why, certain })),
        ...guesses,
      ];
    if (placed.has(cluster) && !undecided.has(cluster)) return guesses;
    if (single)
      return [
        {
          cluster,
          registry: topo.registries[0],
          evidence: "the stack's only cluster and registry",
          certain: true,
        },
      ];
    if (fromSomeCluster.size > 0) return guesses;
    return topo.registries.map((registry) => ({
      cluster,
      registry,
      evidence: "no other evidence" as const,
      certain: false,
    }));
  });
}

/** Whether an assignment's principal is one of the cluster's identities (kubelet, control plane). */
function holdsFor(a: AssignmentNode, c: ClusterNode): boolean {
  return (
    a.principalUrns.includes(c.res.urn) ||
    [c.identity, ...c.controlPlane].some((p) => assignedTo(a, p)) ||
    (known(a.principalId) && sameText(a.principalId, c.identity.clientId) === true)
  );
}

/**
 * The pairs a mandatory check may judge: those the stack shows for certain. The guessed ones are
 * left to the advisory `-unverified` halves (mandatory means certain).
 */
export function certainPullPairs(topo: Topology, declared?: readonly DeclaredPull[]): PullPair[] {
  return pullPairs(topo, declared).filter((p) => p.certain);
}
