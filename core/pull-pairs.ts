/**
 * Which cluster pulls from which registry: decided here, once, for every policy.
 */
import { parseImage } from "./images";
import { assignedTo, scopeCovers } from "./grants";
import { AssignmentNode, ClusterNode, linked, RegistryNode, StackResource, Topology } from "./topology";
import { containerImages } from "./workloads";
import { known, sameText } from "./values";

export interface PullPair {
  cluster: ClusterNode;
  registry: RegistryNode;
  /** Why the cluster is taken to pull from the registry. */
  evidence: "config" | "workload" | "role assignment" | "no other evidence";
}

/** A pull the stack cannot show, named in config by cluster and registry (Azure or Pulumi names). */
export interface DeclaredPull {
  cluster: string;
  registry: string;
}

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
 * when that link is not in the stack, every cluster of the stack.
 */
export function clustersOf(topo: Topology, res: StackResource): ClusterNode[] {
  const provider = res.provider ? topo.byUrn.get(res.provider) : undefined;
  if (provider) {
    const from = new Set([...linked(provider, "kubeconfig"), ...provider.dependencies]);
    const linkedClusters = topo.clusters.filter((c) => from.has(c.res.urn));
    if (linkedClusters.length > 0) return linkedClusters;
  }
  return topo.clusters;
}

/**
 * Which cluster pulls from which registry, decided here for every policy:
 * 1. `declared` (policy config) when given: exactly those pairs;
 * 2. otherwise, for each cluster, the registries the evidence in the stack names: the login servers
 *    of the images its workloads run, and registries on which one of its identities holds a role;
 * 3. a cluster with no such evidence pulls from every registry of the stack.
 */
export function pullPairs(topo: Topology, declared?: readonly DeclaredPull[]): PullPair[] {
  if (declared && declared.length > 0) {
    const named = <T extends { res: StackResource; label: string }>(list: T[], name: string) =>
      list.filter((n) => n.label.toLowerCase() === name.toLowerCase() || n.res.name === name);
    return declared.flatMap((d) =>
      named(topo.clusters, d.cluster).flatMap((cluster) =>
        named(topo.registries, d.registry).map((registry) => ({
          cluster,
          registry,
          evidence: "config" as const,
        })),
      ),
    );
  }
  const evidence = new Map<ClusterNode, Map<RegistryNode, PullPair["evidence"]>>();
  const note = (c: ClusterNode, r: RegistryNode, why: PullPair["evidence"]) => {
    const m = evidence.get(c) ?? new Map<RegistryNode, PullPair["evidence"]>();
    if (!m.has(r)) m.set(r, why);
    evidence.set(c, m);
  };
  const byServer = registryByLoginServer(topo);
  for (const w of topo.workloads) {
    for (const { image } of containerImages(w)) {
      if (!known(image)) continue;
      const parsed = parseImage(image);
      const registry = parsed.ok ? byServer.get(parsed.ref.host.toLowerCase()) : undefined;
      if (registry) for (const c of clustersOf(topo, w)) note(c, registry, "workload");
    }
  }
  for (const a of topo.assignments) {
    for (const c of topo.clusters) {
      if (!holdsFor(a, c)) continue;
      for (const r of topo.registries) if (scopeCovers(topo, a, r) === true) note(c, r, "role assignment");
    }
  }
  return topo.clusters.flatMap((cluster) => {
    const ev = evidence.get(cluster);
    return ev
      ? [...ev].map(([registry, why]) => ({ cluster, registry, evidence: why }))
      : topo.registries.map((registry) => ({ cluster, registry, evidence: "no other evidence" as const }));
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
