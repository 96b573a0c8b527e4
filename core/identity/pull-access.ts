/**
 * Can a cluster's kubelet pull from a registry? (CAUSES.md: 401 Unauthorized, solutions 1 and 3.)
 * Pure: decides from the topology, three-valued, so a decision that waits on preview unknowns is
 * never reported as a failure.
 */
import { GUID, RegistryMode } from "./roles";
import {
  assignedTo,
  assignmentsNear,
  memberThroughGroup,
  PullAccessOptions,
  principalMatches,
  rolePulls,
  RoleOnRegistry,
  scopeCovers,
} from "./grants";
import type { PullPair } from "../stack/pull-pairs";
import {
  AssignmentNode,
  ClusterNode,
  isObserved,
  RegistryNode,
  tenantOf,
  Topology,
  unreadScopes,
} from "../stack/topology";
import { isScopeAncestorOrSelf, parseArmId } from "../stack/arm-id";
import { all3, isUnknown, Known, known, readArmProp, readString, sameText, UNKNOWN } from "../stack/values";

export interface MisdirectedGrant extends RoleOnRegistry {
  /** Who holds it instead: the control-plane identity, another service principal, an unknown principal. */
  holder: string;
}

export type PullVerdict =
  | { status: "granted"; via: AssignmentNode }
  /**
   * A pull role is granted to an Entra group whose members the stack does not show: whether the
   * pulling identity is one is not known here (not missing: Azure RBAC honours group membership).
   */
  | { status: "viaGroup"; via: AssignmentNode; role: string }
  /** The registry lets anyone pull without credentials (`anonymousPullEnabled`, Standard and Premium). */
  | { status: "anonymous" }
  /**
   * The registry is in another Microsoft Entra tenant than the cluster, whose kubelet pulls with a
   * managed identity: a managed identity cannot get a token for another tenant, so no role helps.
   */
  | { status: "crossTenant"; clusterTenant: string; registryTenant: string }
  /** Depends on values known only after `pulumi up`; `path` names one. */
  | { status: "pending"; path: string }
  /**
   * Granted only if the registry is not in ABAC mode, and its record does not say (read at an API
   * version before 2025-05-01-preview): `via` is the role that pulls in RBAC mode only.
   */
  | { status: "modeUnknown"; via: AssignmentNode; role: string }
  /**
   * No assignment shown grants a pull role, but an observer (a recording's capture) could not read
   * the assignments that apply at `scope`: one of them may.
   */
  | { status: "unread"; scope: string }
  /** The stack does not show what the kubelet pulls with (e.g. a service principal declared elsewhere). */
  | { status: "undetermined"; reason: string }
  | {
      status: "missing";
      /** Unknown when the record does not say: then no role pulls in either mode. */
      mode: Known<RegistryMode>;
      /** Roles the pulling identity holds on the registry that do not let it pull (in this mode). */
      ineffective: RoleOnRegistry[];
      /** Pull roles on the registry held by someone else the cluster is associated with. */
      misdirected: MisdirectedGrant[];
      /**
       * Grants the observer recorded outside the stack, for a cluster and registry the stack
       * declares: drift, which the stack's own wiring does not include (adopt them with `pulumi import`).
       */
      outside: AssignmentNode[];
    };

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
  // Another tenant's registry (decided before any grant: none reaches across). A managed identity
  // cannot act there; a service principal only as a multi-tenant application, through its service
  // principal in that tenant (another object id, which the stack does not tie to the cluster's).
  const clusterTenant = tenantOf(topo, cluster.res);
  const registryTenant = tenantOf(topo, registry.res);
  if (
    clusterTenant &&
    registryTenant &&
    clusterTenant !== registryTenant &&
    anonymousPull(registry) === false
  ) {
    return identity.kind === "kubelet"
      ? { status: "crossTenant", clusterTenant, registryTenant }
      : {
          status: "undetermined",
          reason:
            `the registry is in tenant ${registryTenant} and the cluster's ${identity.label} in ${clusterTenant}: it pulls ` +
            "only as a multi-tenant application whose service principal in the registry's tenant holds a pull role, which " +
            "the stack does not show",
        };
  }
  const mode = registry.mode;
  let pendingPath: string | undefined;
  const ineffective: RoleOnRegistry[] = [];
  const misdirected: MisdirectedGrant[] = [];
  const outside: AssignmentNode[] = [];
  let modeDependent: Extract<PullVerdict, { status: "modeUnknown" }> | undefined;
  let throughGroup: Extract<PullVerdict, { status: "viaGroup" }> | undefined;
  // The stack owns the wiring between a cluster and a registry it declares: what the observer saw
  // granted outside it is drift and never overrides the declared state (nor can a hand-made
  // component of the observer's type silence it).
  const owned = !isObserved(cluster.res) && !isObserved(registry.res);

  for (const a of assignmentsNear(topo, registry)) {
    const scope = scopeCovers(topo, a, registry);
    if (scope === false) continue;
    const direct = principalMatches(topo, a, identity, cluster);
    // Not the identity itself: a group it belongs to (Azure RBAC honours group membership).
    const group = direct === true ? false : memberThroughGroup(topo, a, identity);
    const pulls = rolePulls(topo, a, mode, options);
    if (group === "unshown") {
      if (scope === true && pulls.grants === true)
        throughGroup ??= { status: "viaGroup", via: a, role: pulls.label };
      continue;
    }
    const principal =
      direct === true || group === true ? true : direct === UNKNOWN || group === UNKNOWN ? UNKNOWN : false;
    const verdict = all3([scope, principal, pulls.grants]);
    if (owned && isObserved(a.res)) {
      if (verdict === true) outside.push(a);
      continue;
    }
    if (verdict === true) return { status: "granted", via: a };
    // The record does not say the registry's mode: the one thing undecided is whether this role counts.
    if (pulls.onlyModeUnknown && isObserved(registry.res) && scope === true && principal === true) {
      modeDependent ??= { status: "modeUnknown", via: a, role: pulls.label };
      continue;
    }
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
  // Anonymous pull needs no role (Basic refuses the setting, so a Basic record never has it on).
  const anonymous = anonymousPull(registry);
  if (anonymous === true) return { status: "anonymous" };
  if (anonymous === UNKNOWN) return { status: "pending", path: `${registry.res.name}: anonymousPullEnabled` };
  if (modeDependent) return modeDependent;
  if (throughGroup) return throughGroup;
  // A mode not known yet (the stack sets it in this update) waits for it; a record that does not
  // say is decided without it, since no role the identity holds pulls in either mode.
  if (mode === UNKNOWN && !isObserved(registry.res))
    return { status: "pending", path: `${registry.res.name}: roleAssignmentMode` };
  // Even with no assignment at all, a missing pull role is reported only once the cluster, its
  // pulling identity and the registry exist: a first preview reports nothing mandatory.
  if (identity.objectId === UNKNOWN || cluster.isNew) {
    return { status: "pending", path: `${cluster.res.name}: ${identity.kind} identity object id` };
  }
  if (registry.isNew) return { status: "pending", path: `${registry.res.name}: id` };
  // An observer (a recording's capture) that could not read the assignments applying here: the
  // one that grants the role may be among them.
  const unread = unreadScopes(topo).find((u) => {
    const scope = u.reads === "roleAssignments" ? parseArmId(u.scope) : undefined;
    return scope !== undefined && registry.id !== undefined && isScopeAncestorOrSelf(scope, registry.id);
  });
  if (unread) return { status: "unread", scope: unread.scope };
  return { status: "missing", mode, ineffective, misdirected, outside };
}

/** Whether the registry allows anonymous pull: the setting on a Standard or Premium registry. */
export function anonymousPull(registry: RegistryNode): Known<boolean> {
  const on = readArmProp(registry.res.props, "anonymousPullEnabled");
  if (isUnknown(on)) return UNKNOWN;
  if (on !== true) return false;
  const sku = readString(registry.res.props, "sku", "name");
  if (sku === UNKNOWN) return UNKNOWN;
  return !known(sku) || sku.toLowerCase() !== "basic";
}

/** Names who holds a pull role instead of the pulling identity, when that is worth telling. */
function describeHolder(topo: Topology, a: AssignmentNode, cluster: ClusterNode): string | undefined {
  const controlPlane = cluster.controlPlane.find((cp) => assignedTo(a, cp));
  if (controlPlane) return `the cluster's ${controlPlane.label}, which the kubelet does not pull with`;
  if (cluster.identity.kind === "servicePrincipal") {
    const formerSp = [...topo.servicePrincipalsByUrn.values()].find(
      (sp) =>
        !cluster.identity.urns.includes(sp.res.urn) &&
        assignedTo(a, { objectId: sp.objectId, urns: [sp.res.urn], label: sp.label }),
    );
    if (formerSp) {
      return `service principal '${formerSp.label}', which is not the cluster's current service principal (rotated out?)`;
    }
  }
  if (known(a.principalId) && sameText(a.principalId, cluster.identity.clientId) === true) {
    return `principal ${a.principalId}, the ${cluster.identity.kind === "kubelet" ? "kubelet identity" : "service principal"}'s client id: a role assignment needs its object id`;
  }
  const app = a.principalUrns.map((u) => topo.applicationsByUrn.get(u)).find((x) => x !== undefined);
  if (app) return `application '${app.label}' (an application's object id, not its service principal's)`;
  for (const other of topo.clusters) {
    if (other === cluster) continue;
    if (assignedTo(a, other.identity)) {
      const who = other.identity.kind === "kubelet" ? "kubelet identity" : other.identity.label;
      return `the ${who} of another cluster, '${other.label}'`;
    }
    const cp = other.controlPlane.find((p) => assignedTo(a, p));
    if (cp) return `the ${cp.label} of another cluster, '${other.label}'`;
  }
  if (known(a.principalId) && GUID.test(a.principalId)) {
    return `principal ${a.principalId}, which is not the cluster's ${cluster.identity.kind === "kubelet" ? "kubelet identity" : "current service principal"}`;
  }
  return undefined;
}
