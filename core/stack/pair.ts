/**
 * A cluster and a registry it pulls from, as `pull-pairs.ts` decides them; apart so that what judges
 * a pair (grants, the path) can name it without importing the decision back.
 */
import type { ClusterNode, RegistryNode } from "./topology";

export interface PullPair {
  cluster: ClusterNode;
  registry: RegistryNode;
  /** Why the cluster is taken to pull from the registry. */
  evidence:
    "config" | "workload" | "role assignment" | "the stack's only cluster and registry" | "no other evidence";
  /**
   * Whether the stack shows the pull for certain: config names it; a workload on this cluster (its
   * provider made from the cluster's kubeconfig, or the stack's only cluster) runs an image of the
   * registry; one of the cluster's identities holds a role on it; or the stack has one cluster and
   * one registry. Otherwise the pair is a guess (a workload whose cluster the stack cannot tell,
   * a cluster with nothing to say which registry it uses): mandatory checks leave it to their
   * advisory `-unverified` halves.
   */
  certain: boolean;
}

/** A pull the stack cannot show, named in config by cluster and registry (Azure or Pulumi names). */
export interface DeclaredPull {
  cluster: string;
  registry: string;
}
