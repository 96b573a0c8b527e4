/**
 * Role assignments and what they grant on a registry: whether a scope covers it, whether an
 * assignment's principal is a given identity, and which role it carries. Three-valued throughout,
 * so a decision that waits on preview unknowns says so.
 */
import { isRegistryId, isScopeAncestorOrSelf, resourceName } from "../stack/arm-id";
import type { PullPair } from "../stack/pair";
import {
  BuiltInRole,
  builtInRole,
  customRoleBroaderThanPull,
  customRolePulls,
  RegistryMode,
  roleDefinitionGuid,
} from "./roles";
import {
  AssignmentNode,
  ClusterNode,
  PrincipalRef,
  RegistryNode,
  RoleDefinitionNode,
  Topology,
  linked,
  perTopology,
} from "../stack/topology";
import {
  all3,
  any3,
  isUnknown,
  Known,
  known,
  listOf,
  read,
  readString,
  sameText,
  Tri,
  UNKNOWN,
} from "../stack/values";

export interface RoleOnRegistry {
  assignment: AssignmentNode;
  role: string;
}

export interface PullAccessOptions {
  /** GUIDs of custom roles defined outside the stack that grant pull. */
  extraPullRoleGuids?: ReadonlySet<string>;
}

/** Whether the assignment names this principal: by the resource its principalId came from, or by object id. */
export function assignedTo(a: AssignmentNode, who: PrincipalRef): boolean {
  return (
    a.principalUrns.some((u) => who.urns.includes(u)) ||
    (known(a.principalId) && sameText(a.principalId, who.objectId) === true)
  );
}

interface ScopeIndex {
  /** Assignments by a URN their scope came from (property dependencies). */
  byUrn: Map<string, AssignmentNode[]>;
  /** Assignments whose scope may cover any registry: unknown, the root, a management group. */
  always: AssignmentNode[];
  bySubscription: Map<string, AssignmentNode[]>;
  /** Subscription-scoped ones, for a registry whose own id is not known. */
  subscriptionScoped: AssignmentNode[];
  /** By resource group name, lower case (`sub/rg` keys would miss a registry without an id). */
  byResourceGroup: Map<string, AssignmentNode[]>;
  /** Resource-scoped ones by the resource's name, lower case. */
  byResourceName: Map<string, AssignmentNode[]>;
  order: Map<AssignmentNode, number>;
}

function push<K>(m: Map<K, AssignmentNode[]>, k: K, a: AssignmentNode) {
  const list = m.get(k);
  if (list) list.push(a);
  else m.set(k, [a]);
}

function scopeIndexOf(topo: Topology): ScopeIndex {
  return perTopology(topo, "grants:scope-index", () => buildScopeIndex(topo));
}

function buildScopeIndex(topo: Topology): ScopeIndex {
  const ix: ScopeIndex = {
    byUrn: new Map(),
    always: [],
    bySubscription: new Map(),
    subscriptionScoped: [],
    byResourceGroup: new Map(),
    byResourceName: new Map(),
    order: new Map(),
  };
  topo.assignments.forEach((a, i) => {
    ix.order.set(a, i);
    for (const u of a.scopeUrns) push(ix.byUrn, u, a);
    if (a.scope === undefined) return;
    if (a.scope === UNKNOWN || !a.scopeId) {
      if (a.scope === UNKNOWN) ix.always.push(a);
      return;
    }
    const id = a.scopeId;
    switch (id.kind) {
      case "root":
      case "managementGroup":
        ix.always.push(a);
        break;
      case "subscription":
        push(ix.bySubscription, (id.subscriptionId ?? "").toLowerCase(), a);
        ix.subscriptionScoped.push(a);
        break;
      case "resourceGroup":
        push(ix.byResourceGroup, (id.resourceGroup ?? "").toLowerCase(), a);
        break;
      case "resource":
        push(ix.byResourceName, String(resourceName(id) ?? "").toLowerCase(), a);
        break;
    }
  });
  return ix;
}

/**
 * The assignments whose scope may cover a registry, in the stack's order: looked up once per
 * request in an index by scope (linked URNs, subscription, resource group, resource name), so a
 * pair costs what concerns it, not every assignment of the stack. Each is still to be checked
 * with `scopeCovers`.
 */
export function assignmentsNear(topo: Topology, reg: RegistryNode): AssignmentNode[] {
  const ix = scopeIndexOf(topo);
  const found = new Set<AssignmentNode>(ix.always);
  const add = (list: AssignmentNode[] | undefined) => list?.forEach((a) => found.add(a));
  add(ix.byUrn.get(reg.res.urn));
  for (const u of reg.resourceGroupUrns) add(ix.byUrn.get(u));
  if (reg.id?.subscriptionId) add(ix.bySubscription.get(reg.id.subscriptionId.toLowerCase()));
  else add(ix.subscriptionScoped);
  const rg = reg.id?.resourceGroup ?? (known(reg.resourceGroup) ? reg.resourceGroup : undefined);
  if (rg !== undefined) add(ix.byResourceGroup.get(rg.toLowerCase()));
  else for (const list of ix.byResourceGroup.values()) add(list);
  const name = reg.id ? resourceName(reg.id) : known(reg.name) ? reg.name : undefined;
  if (name !== undefined) add(ix.byResourceName.get(String(name).toLowerCase()));
  else for (const list of ix.byResourceName.values()) add(list);
  return [...found].sort((a, b) => ix.order.get(a)! - ix.order.get(b)!);
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

/**
 * Whether the assignment's principal is an Entra group the identity belongs to (Azure RBAC honours
 * group membership): `true` when a GroupMember the stack shows puts it there; `false` when the
 * principal is no group, or a group whose members the stack shows without it; `"unshown"` when the
 * assignment names a group (principalType Group, or a group of the stack) whose members it does not
 * show; UNKNOWN while a member's or the group's id is not known yet.
 */
export function memberThroughGroup(topo: Topology, a: AssignmentNode, who: PrincipalRef): Tri | "unshown" {
  const groups = (topo.byKind.get("group") ?? []).filter((g) => {
    const objectId = readString(g.props, "objectId");
    return (
      a.principalUrns.includes(g.urn) || (known(a.principalId) && sameText(objectId, a.principalId) === true)
    );
  });
  const typed = sameText(readString(a.res.props, "principalType"), "Group") === true;
  if (groups.length === 0 && !typed) return false;
  const members = (topo.byKind.get("groupMember") ?? []).filter((m) => {
    const group = readString(m.props, "groupObjectId");
    return (
      groups.some((g) => linked(m, "groupObjectId").includes(g.urn)) ||
      (known(a.principalId) && known(group) && sameText(group, a.principalId) === true) ||
      (known(group) && groups.some((g) => sameText(readString(g.props, "objectId"), group) === true))
    );
  });
  // Members named inline on the group (azuread Group's `members`), or as GroupMember resources.
  const inline = groups.flatMap((g) => listOf(read(g.props, "members")));
  let pending = false;
  for (const m of members) {
    if (linked(m, "memberObjectId").some((u) => who.urns.includes(u))) return true;
    const id = readString(m.props, "memberObjectId");
    if (id === UNKNOWN) pending = true;
    else if (known(id) && sameText(id, who.objectId) === true) return true;
  }
  for (const id of inline) {
    if (isUnknown(id)) pending = true;
    else if (typeof id === "string" && sameText(id, who.objectId) === true) return true;
  }
  if (pending || who.objectId === UNKNOWN) return UNKNOWN;
  return members.length > 0 || inline.length > 0 || groups.some((g) => read(g.props, "members") !== undefined)
    ? false
    : "unshown";
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

/**
 * Does the assignment's role let its holder pull from a registry in `mode`? `onlyModeUnknown`: the
 * role is known and only the registry's mode, not known, decides.
 */
export function rolePulls(
  topo: Topology,
  a: AssignmentNode,
  mode: Known<RegistryMode>,
  options: PullAccessOptions = {},
): { grants: Tri; label: string; onlyModeUnknown?: boolean } {
  const role = resolveRole(topo, a, options);
  // Known role, unknown mode, and the two modes disagree: the mode alone decides.
  const inMode = (grants: Tri, label: string): { grants: Tri; label: string; onlyModeUnknown: boolean } => ({
    grants,
    label,
    onlyModeUnknown: mode === UNKNOWN && grants === UNKNOWN,
  });
  switch (role.kind) {
    case "custom": {
      const label = `custom role '${role.def.label}'`;
      const perms = role.def.permissions;
      if (perms === UNKNOWN) return { grants: UNKNOWN, label };
      return inMode(
        byMode(mode, (m) => customRolePulls(perms, m)),
        label,
      );
    }
    case "pending":
      return { grants: UNKNOWN, label: "a role not known yet" };
    case "builtIn":
      return inMode(
        byMode(mode, (m) => (m === "abac" ? role.role.pullsAbac : role.role.pullsRbac)),
        role.role.name,
      );
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
  for (const a of assignmentsNear(topo, registry)) {
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

/**
 * Whether a principal (a service principal a pull secret is built from) holds a role that pulls
 * from the registry: the same scope and role rules as the kubelet's, three-valued.
 */
export function principalCanPull(topo: Topology, principal: PrincipalRef, registry: RegistryNode): Tri {
  const verdicts: Tri[] = assignmentsNear(topo, registry).map((a) => {
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
