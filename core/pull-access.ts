/**
 * Can a cluster's kubelet pull from a registry? (CAUSES.md: 401 Unauthorized, solutions 1 and 3.)
 * Pure: decides from the topology, three-valued, so a decision that waits on preview unknowns is
 * never reported as a failure.
 */
import { isRegistryId, isScopeAncestorOrSelf, resourceName } from "./arm-id";
import {
  BuiltInRole,
  builtInRole,
  customRoleBroaderThanPull,
  customRolePulls,
  GUID,
  RegistryMode,
  roleDefinitionGuid,
} from "./roles";
import { parseImage } from "./images";
import {
  AssignmentNode,
  ClusterNode,
  linked,
  PrincipalRef,
  RegistryNode,
  RoleDefinitionNode,
  StackResource,
  Topology,
} from "./topology";
import { containerImages } from "./workloads";
import { all3, any3, Known, known, sameText, Tri, UNKNOWN } from "./values";

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
  const refs = [c.identity, ...c.controlPlane];
  if (a.principalUrns.includes(c.res.urn)) return true;
  return refs.some(
    (p) =>
      a.principalUrns.some((u) => p.urns.includes(u)) ||
      (known(a.principalId) &&
        (sameText(a.principalId, p.objectId) === true ||
          sameText(a.principalId, c.identity.clientId) === true)),
  );
}

export interface RoleOnRegistry {
  assignment: AssignmentNode;
  role: string;
}

export interface MisdirectedGrant extends RoleOnRegistry {
  /** Who holds it instead: the control-plane identity, another service principal, an unknown principal. */
  holder: string;
}

export type PullVerdict =
  | { status: "granted"; via: AssignmentNode }
  /** Depends on values known only after `pulumi up`; `path` names one. */
  | { status: "pending"; path: string }
  /** The stack does not show what the kubelet pulls with (e.g. a service principal declared elsewhere). */
  | { status: "undetermined"; reason: string }
  | {
      status: "missing";
      mode: RegistryMode;
      /** Roles the pulling identity holds on the registry that do not let it pull (in this mode). */
      ineffective: RoleOnRegistry[];
      /** Pull roles on the registry held by someone else the cluster is associated with. */
      misdirected: MisdirectedGrant[];
    };

export interface PullAccessOptions {
  /** GUIDs of custom roles defined outside the stack that grant pull. */
  extraPullRoleGuids?: ReadonlySet<string>;
}

export function evaluatePullAccess(
  topo: Topology,
  { cluster, registry }: PullPair,
  options: PullAccessOptions = {},
): PullVerdict {
  const identity = cluster.identity;
  if (identity.objectId === undefined && identity.urns.length === 0) {
    return {
      status: "undetermined",
      reason:
        identity.kind === "servicePrincipal"
          ? `the cluster's ${identity.label} is not declared in this stack, so its object id is not known`
          : "the cluster shows no kubelet identity",
    };
  }
  const mode = registry.mode;
  let pendingPath: string | undefined;
  const ineffective: RoleOnRegistry[] = [];
  const misdirected: MisdirectedGrant[] = [];

  for (const a of topo.assignments) {
    const scope = scopeCovers(topo, a, registry);
    if (scope === false) continue;
    const principal = principalMatches(topo, a, identity, cluster);
    const pulls = rolePulls(topo, a, mode, options);
    const verdict = all3([scope, principal, pulls.grants]);
    if (verdict === true) return { status: "granted", via: a };
    if (verdict === UNKNOWN) {
      pendingPath ??= `${a.res.name}: ${[
        scope === UNKNOWN ? "scope" : undefined,
        principal === UNKNOWN ? "principalId" : undefined,
        pulls.grants === UNKNOWN ? "roleDefinitionId" : undefined,
      ]
        .filter(Boolean)
        .join(", ")}`;
      continue;
    }
    if (scope === true && principal === true && pulls.grants === false) {
      ineffective.push({ assignment: a, role: pulls.label });
    } else if (scope === true && pulls.grants === true && principal === false) {
      const holder = describeHolder(topo, a, cluster);
      if (holder) misdirected.push({ assignment: a, role: pulls.label, holder });
    }
  }
  if (pendingPath) return { status: "pending", path: pendingPath };
  if (mode === UNKNOWN) return { status: "pending", path: `${registry.res.name}: roleAssignmentMode` };
  // Even with no assignment at all, a missing pull role is reported only once the cluster, its
  // pulling identity and the registry exist: a first preview reports nothing mandatory.
  if (identity.objectId === UNKNOWN || cluster.isNew) {
    return { status: "pending", path: `${cluster.res.name}: ${identity.kind} identity object id` };
  }
  if (registry.isNew) return { status: "pending", path: `${registry.res.name}: id` };
  return { status: "missing", mode, ineffective, misdirected };
}

/** Does the assignment's scope cover the registry (the registry itself, its group, subscription...)? */
export function scopeCovers(topo: Topology, a: AssignmentNode, reg: RegistryNode): Tri {
  if (a.scopeUrns.includes(reg.res.urn)) return true;
  if (a.scope === undefined) return false;
  if (a.scope === UNKNOWN) {
    if (a.scopeUrns.some((u) => reg.resourceGroupUrns.includes(u))) return true;
    // Scoped to something else the stack declares, and no resource group among them: not this registry.
    const others = a.scopeUrns.map((u) => topo.kinds.get(u));
    if (others.length > 0 && !others.includes("resourceGroup")) return false;
    return UNKNOWN;
  }
  const scope = a.scopeId;
  if (!scope) return false;
  if (reg.id) return isScopeAncestorOrSelf(scope, reg.id);
  // The registry's own id is not in its outputs: compare what is known of it piece by piece.
  switch (scope.kind) {
    case "root":
    case "managementGroup":
    case "subscription":
      return true;
    case "resourceGroup":
      return sameText(scope.resourceGroup, reg.resourceGroup);
    case "resource": {
      if (!isRegistryId(scope)) return false;
      const rg = reg.resourceGroup === undefined ? true : sameText(scope.resourceGroup, reg.resourceGroup);
      return all3([sameText(resourceName(scope), reg.name), rg]);
    }
  }
}

/** Is the assignment's principal the cluster's pulling identity? */
export function principalMatches(
  topo: Topology,
  a: AssignmentNode,
  who: PrincipalRef,
  cluster: ClusterNode,
): Tri {
  if (a.principalUrns.some((u) => who.urns.includes(u))) return true;
  if (known(a.principalId) && known(who.objectId)) return sameText(a.principalId, who.objectId);
  if (a.principalId === undefined) return false;
  // One side is not known yet. The assignment can still be ruled out when its principal comes
  // from a declared identity that is not the pulling one.
  const fromOtherIdentity =
    a.principalUrns.length > 0 &&
    !a.principalUrns.includes(cluster.res.urn) &&
    a.principalUrns.every((u) => topo.identitiesByUrn.has(u) || topo.servicePrincipalsByUrn.has(u));
  return fromOtherIdentity ? false : UNKNOWN;
}

export type ResolvedRole =
  | { kind: "builtIn"; role: BuiltInRole }
  | { kind: "custom"; def: RoleDefinitionNode }
  | { kind: "external"; guid: string }
  | { kind: "pending" }
  | { kind: "unrecognized"; label: string };

/** Which role an assignment grants: a built-in, a custom role of the stack, one config names, or none known. */
export function resolveRole(
  topo: Topology,
  a: AssignmentNode,
  options: PullAccessOptions = {},
): ResolvedRole {
  const custom =
    a.roleUrns.map((u) => topo.roleDefinitionsByUrn.get(u)).find((r) => r !== undefined) ??
    (known(a.roleDefinitionId)
      ? topo.roleDefinitionsByGuid.get(roleDefinitionGuid(a.roleDefinitionId) ?? "")
      : undefined);
  if (custom) return { kind: "custom", def: custom };
  if (a.roleDefinitionId === UNKNOWN) return { kind: "pending" };
  const guid = a.roleDefinitionId ? roleDefinitionGuid(a.roleDefinitionId) : undefined;
  if (!guid) return { kind: "unrecognized", label: `role '${a.roleDefinitionId ?? "(none)"}'` };
  const builtIn = builtInRole(guid);
  if (builtIn) return { kind: "builtIn", role: builtIn };
  if (options.extraPullRoleGuids?.has(guid)) return { kind: "external", guid };
  return {
    kind: "unrecognized",
    label: `role ${guid} (neither a built-in pull role nor defined in this stack)`,
  };
}

/** Does the assignment's role let its holder pull from a registry in `mode`? */
export function rolePulls(
  topo: Topology,
  a: AssignmentNode,
  mode: Known<RegistryMode>,
  options: PullAccessOptions = {},
): { grants: Tri; label: string } {
  const role = resolveRole(topo, a, options);
  switch (role.kind) {
    case "custom": {
      const label = `custom role '${role.def.label}'`;
      const perms = role.def.permissions;
      if (perms === UNKNOWN) return { grants: UNKNOWN, label };
      return { grants: byMode(mode, (m) => customRolePulls(perms, m)), label };
    }
    case "pending":
      return { grants: UNKNOWN, label: "a role not known yet" };
    case "builtIn":
      return {
        grants: byMode(mode, (m) => (m === "abac" ? role.role.pullsAbac : role.role.pullsRbac)),
        label: role.role.name,
      };
    case "external":
      return { grants: true, label: `custom role ${role.guid}` };
    case "unrecognized":
      return { grants: false, label: role.label };
  }
}

/**
 * Roles the pulling identity holds on the registry that grant more than pulling (Owner,
 * Contributor, AcrPush, custom roles that push, delete or grant): AcrPull is enough.
 */
export function excessGrants(topo: Topology, { cluster, registry }: PullPair): RoleOnRegistry[] {
  const out: RoleOnRegistry[] = [];
  for (const a of topo.assignments) {
    if (scopeCovers(topo, a, registry) !== true) continue;
    if (principalMatches(topo, a, cluster.identity, cluster) !== true) continue;
    const role = resolveRole(topo, a);
    if (role.kind === "builtIn" && role.role.broaderThanPull)
      out.push({ assignment: a, role: role.role.name });
    if (
      role.kind === "custom" &&
      known(role.def.permissions) &&
      customRoleBroaderThanPull(role.def.permissions)
    ) {
      out.push({ assignment: a, role: `custom role '${role.def.label}'` });
    }
  }
  return out;
}

function byMode(mode: Known<RegistryMode>, f: (m: RegistryMode) => boolean): Tri {
  if (mode !== UNKNOWN) return f(mode);
  const rbac = f("rbac");
  return rbac === f("abac") ? rbac : UNKNOWN;
}

/** Names who holds a pull role instead of the pulling identity, when that is worth telling. */
function describeHolder(topo: Topology, a: AssignmentNode, cluster: ClusterNode): string | undefined {
  for (const cp of cluster.controlPlane) {
    const same =
      a.principalUrns.some((u) => cp.urns.includes(u)) ||
      (known(a.principalId) && sameText(a.principalId, cp.objectId) === true);
    if (same) return `the cluster's ${cp.label}, which the kubelet does not pull with`;
  }
  for (const urn of a.principalUrns) {
    const sp = topo.servicePrincipalsByUrn.get(urn);
    if (sp && cluster.identity.kind === "servicePrincipal") {
      return `service principal '${sp.label}', which is not the cluster's current service principal (rotated out?)`;
    }
  }
  if (known(a.principalId) && sameText(a.principalId, cluster.identity.clientId) === true) {
    return `principal ${a.principalId}, the ${cluster.identity.kind === "kubelet" ? "kubelet identity" : "service principal"}'s client id: a role assignment needs its object id`;
  }
  for (const urn of a.principalUrns) {
    const app = topo.applicationsByUrn.get(urn);
    if (app) return `application '${app.label}' (an application's object id, not its service principal's)`;
  }
  for (const other of topo.clusters) {
    if (other === cluster) continue;
    for (const who of [other.identity, ...other.controlPlane]) {
      const same =
        a.principalUrns.some((u) => who.urns.includes(u)) ||
        (known(a.principalId) && sameText(a.principalId, who.objectId) === true);
      if (same)
        return `the ${who.label.replace(/ \(object id [^)]*\)/, "")} of another cluster, '${other.label}'`;
    }
  }
  if (known(a.principalId) && GUID.test(a.principalId)) {
    const sp = [...topo.servicePrincipalsByUrn.values()].find(
      (s) => sameText(s.objectId, a.principalId) === true,
    );
    if (sp && cluster.identity.kind === "servicePrincipal") {
      return `service principal '${sp.label}', which is not the cluster's current service principal (rotated out?)`;
    }
    return `principal ${a.principalId}, which is not the cluster's ${cluster.identity.kind === "kubelet" ? "kubelet identity" : "current service principal"}`;
  }
  return undefined;
}

/**
 * Whether a principal (a service principal a pull secret is built from) holds a role that pulls
 * from the registry: the same scope and role rules as the kubelet's, three-valued.
 */
export function principalCanPull(topo: Topology, principal: PrincipalRef, registry: RegistryNode): Tri {
  const verdicts: Tri[] = topo.assignments.map((a) => {
    const scope = scopeCovers(topo, a, registry);
    if (scope === false) return false;
    const who: Tri = a.principalUrns.some((u) => principal.urns.includes(u))
      ? true
      : known(a.principalId) && known(principal.objectId)
        ? sameText(a.principalId, principal.objectId)
        : a.principalId === undefined
          ? false
          : UNKNOWN;
    return all3([scope, who, rolePulls(topo, a, registry.mode).grants]);
  });
  return any3(verdicts);
}
