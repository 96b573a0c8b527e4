/**
 * The topology: one O(n) pass over a stack's resources that finds the clusters, their pulling
 * identities, the registries, role assignments, role definitions and service principals, and links
 * them. Links come first from the engine's `propertyDependencies` (an input computed from another
 * resource's output names that resource even while the value is unknown), then from ids and names
 * once values are known.
 */
import type { StackResource } from "./resource";
import { ArmId, parseArmId, resourceName } from "./arm-id";
import { flattenArm, tokenOfArmType } from "./arm-types";
import { roleDefinitionGuid, RegistryMode, RolePermission } from "../identity/roles";
import { kindOf, ResourceKind } from "./tokens";
import { workloadKind } from "./workloads";
import {
  Known,
  UNKNOWN,
  isUnknown,
  read,
  readArmProp,
  readArray,
  readObject,
  readString,
  known,
  listOf,
  sameText,
} from "./values";

export type { StackResource } from "./resource";

/** An Azure AD principal as far as the stack shows it. */
export interface PrincipalRef {
  /** Its object id, the id role assignments name; undefined when the stack cannot show it. */
  objectId: Known<string> | undefined;
  /** Stack resources whose outputs are this principal (a managed identity, a service principal). */
  urns: string[];
  /** How a person recognises it in a message. */
  label: string;
}

export interface PullingIdentity extends PrincipalRef {
  kind: "kubelet" | "servicePrincipal";
  clientId?: Known<string>;
}

export interface ClusterNode {
  res: StackResource;
  label: string;
  /** The cluster is still to be created: its `id` is not known yet. */
  isNew: boolean;
  resourceGroup?: string;
  id?: ArmId;
  identity: PullingIdentity;
  /** The control-plane identity: it manages the cluster but is not what the kubelet pulls with. */
  controlPlane: PrincipalRef[];
}

export interface RegistryNode {
  res: StackResource;
  label: string;
  /** The registry is still to be created: its `id` or name is not known yet. */
  isNew: boolean;
  name: Known<string> | undefined;
  loginServer: Known<string> | undefined;
  resourceGroup: Known<string> | undefined;
  /** Resource groups of the stack this registry's `resourceGroupName` came from. */
  resourceGroupUrns: string[];
  id?: ArmId;
  mode: Known<RegistryMode>;
}

export interface AssignmentNode {
  res: StackResource;
  principalId: Known<string> | undefined;
  principalUrns: string[];
  scope: Known<string> | undefined;
  scopeId?: ArmId;
  scopeUrns: string[];
  roleDefinitionId: Known<string> | undefined;
  roleUrns: string[];
}

export interface RoleDefinitionNode {
  res: StackResource;
  guid?: string;
  label: string;
  permissions: Known<RolePermission[]>;
}

export interface IdentityNode {
  res: StackResource;
  principalId: Known<string> | undefined;
  clientId: Known<string> | undefined;
  id?: ArmId;
  name: Known<string> | undefined;
}

export interface ServicePrincipalNode {
  res: StackResource;
  objectId: Known<string> | undefined;
  clientId: Known<string> | undefined;
  label: string;
}

/** An azuread Application: its object id is not its service principal's, a classic mix-up. */
export interface ApplicationNode {
  res: StackResource;
  objectId: Known<string> | undefined;
  clientId: Known<string> | undefined;
  label: string;
}

export interface Topology {
  byUrn: ReadonlyMap<string, StackResource>;
  kinds: ReadonlyMap<string, ResourceKind>;
  clusters: ClusterNode[];
  registries: RegistryNode[];
  assignments: AssignmentNode[];
  roleDefinitionsByUrn: ReadonlyMap<string, RoleDefinitionNode>;
  roleDefinitionsByGuid: ReadonlyMap<string, RoleDefinitionNode>;
  identitiesByUrn: ReadonlyMap<string, IdentityNode>;
  servicePrincipalsByUrn: ReadonlyMap<string, ServicePrincipalNode>;
  applicationsByUrn: ReadonlyMap<string, ApplicationNode>;
  /** Kubernetes resources that carry a pod spec. */
  workloads: StackResource[];
  /** Resources of the other kinds, by kind (scale sets, passwords, registry credentials...). */
  byKind: ReadonlyMap<ResourceKind, StackResource[]>;
}

/**
 * URNs a property's value came from. Engines that send no property dependencies leave only the
 * resource's whole dependency list, which is the best evidence left.
 */
export function linked(res: StackResource, property: string): readonly string[] {
  const byProperty = res.propertyDependencies[property];
  if (byProperty) return byProperty;
  return Object.keys(res.propertyDependencies).length === 0 ? res.dependencies : [];
}

/**
 * The subscription a resource is in: its own id's, else, while that is not known, the one its
 * azure-native provider targets (its `subscriptionId` config), where the stack shows it.
 */
export function subscriptionOf(topo: Topology, res: StackResource): string | undefined {
  const own = ownId(res)?.subscriptionId;
  if (own) return own;
  const provider = res.provider ? topo.byUrn.get(res.provider) : undefined;
  if (!provider || !/^pulumi:providers:azure-native$/.test(provider.type)) return undefined;
  const sub = readString(provider.props, "subscriptionId");
  return known(sub) && sub ? sub : undefined;
}

/**
 * The Microsoft Entra tenant a resource is in, where the stack shows it: its record's `tenantId`
 * (Resource Graph's column, the observer's stamp) or its managed identity's, else its azure-native
 * provider's `tenantId` config (a stack that reaches another tenant declares a provider for it).
 */
export function tenantOf(topo: Topology, res: StackResource): string | undefined {
  // A record's tenant (Resource Graph's column, or the observer's stamp), then its identity's.
  for (const own of [readString(res.props, "tenantId"), readString(res.props, "identity", "tenantId")])
    if (typeof own === "string" && own) return own.toLowerCase();
  const provider = res.provider ? topo.byUrn.get(res.provider) : undefined;
  if (!provider || !/^pulumi:providers:azure-native$/.test(provider.type)) return undefined;
  const tenant = readString(provider.props, "tenantId");
  return known(tenant) && tenant ? tenant.toLowerCase() : undefined;
}

/** The resource's own ARM id when its outputs carry one (not every engine or provider puts it there). */
function ownId(res: StackResource): ArmId | undefined {
  return parseArmId(res.props["id"]);
}

/** A display name: the Azure name when known, the Pulumi name otherwise. */
function labelOf(res: StackResource, ...azureNameKeys: string[]): string {
  for (const key of azureNameKeys) {
    const v = readString(res.props, key);
    if (known(v) && v.length > 0) return v;
  }
  return res.name;
}

function readPermissions(value: unknown): Known<RolePermission[]> {
  if (isUnknown(value)) return UNKNOWN;
  if (!Array.isArray(value)) return [];
  const out: RolePermission[] = [];
  for (const block of value) {
    if (isUnknown(block)) return UNKNOWN;
    if (block === null || typeof block !== "object") continue;
    const p: RolePermission = {};
    for (const key of ["actions", "notActions", "dataActions", "notDataActions"] as const) {
      const list = (block as Record<string, unknown>)[key];
      if (isUnknown(list)) return UNKNOWN;
      if (!Array.isArray(list)) continue;
      if (list.some(isUnknown)) return UNKNOWN;
      p[key] = list.filter((a): a is string => typeof a === "string");
    }
    out.push(p);
  }
  return out;
}

/**
 * A registry's role assignment mode. One the stack declares through azure-native (whose Registry
 * has no `roleAssignmentMode`) is created in Azure's default, RBAC registry permissions, unless an
 * observer's record of it says otherwise (see withObserved). A record
 * without the field was read at an API version that does not return it (before
 * 2025-05-01-preview): its mode is not known, never assumed RBAC.
 */
function registryMode(res: StackResource): Known<RegistryMode> {
  const mode = readString(res.props, "roleAssignmentMode");
  if (mode === UNKNOWN) return UNKNOWN;
  if (mode === undefined && isObserved(res)) return UNKNOWN;
  return mode?.toLowerCase() === "abacrepositorypermissions" ? "abac" : "rbac";
}

/**
 * A scope whose records an observer could not read (`reads`: "roleAssignments", "resources"): an
 * AksAcrObserver's `unread` output, or a recording's coverage. Nothing absent there is certain.
 */
export interface UnreadScope {
  scope: string;
  reads: string;
}

/** The unread scopes every observer of the stack reports, once per topology. */
export function unreadScopes(topo: Topology): UnreadScope[] {
  return perTopology(topo, "topology:unread-scopes", () =>
    [...topo.byUrn.values()]
      .filter((r) => r.type === OBSERVER_TYPE)
      .flatMap((r) => listOf(read(r.props, "unread")))
      .flatMap((u) => {
        const scope = read(u, "scope");
        const reads = read(u, "reads");
        return typeof scope === "string" && typeof reads === "string" ? [{ scope, reads }] : [];
      }),
  );
}

/**
 * Whether the stack declares an AksAcrObserver (a recording's environment, offline, stands for
 * one): what it observes outside the stack is in its records, so a grant made outside would show.
 */
export function hasObserver(topo: Topology): boolean {
  return perTopology(topo, "topology:has-observer", () =>
    [...topo.byUrn.values()].some((r) => r.type === OBSERVER_TYPE),
  );
}

/** The component whose outputs carry what it observed outside the stack, as ARM JSON records. */
export const OBSERVER_TYPE = "aks-acr-guard:index:AksAcrObserver";

const OBSERVED_MARK = "$observed[";

/** Whether a resource is a record an AksAcrObserver made, rather than one the stack declares. */
export function isObserved(res: StackResource): boolean {
  return res.urn.includes(OBSERVED_MARK);
}

/** `azure-native:containerregistry/v20251101:Registry` -> `azure-native:containerregistry:Registry`. */
const unversioned = (token: string) => token.replace(/^([^:]+:[^/:]+)\/[^:]+:/, "$1:");

/**
 * The stack's resources plus, for each AksAcrObserver, the records it observed (`observed`: ARM
 * JSON), each as a resource of its azure-native type with the observer as its only dependency.
 * What the stack declares wins: a record of a resource the stack also declares (same ARM id) is
 * left out, as is a second record of one id (two observers of overlapping targets), so the pack
 * judges each Azure resource once, and by the stack's own declaration where there is one.
 */
export function withObserved(resources: readonly StackResource[]): StackResource[] {
  const observers = resources.filter((r) => r.type === OBSERVER_TYPE);
  if (observers.length === 0) return [...resources];
  const records: { observer: StackResource; record: Record<string, unknown>; token: string; i: number }[] =
    [];
  for (const observer of observers) {
    const observed = observer.props["observed"];
    if (!Array.isArray(observed)) continue;
    observed.forEach((record, i) => {
      if (record === null || typeof record !== "object") return;
      const token = tokenOfArmType((record as Record<string, unknown>).type);
      if (token) records.push({ observer, record: record as Record<string, unknown>, token, i });
    });
  }
  const tokens = new Set(records.map((r) => r.token));
  // Ids the stack declares, read only for the types observed (the rest of the stack stays unread).
  const seen = new Set<string>();
  for (const res of resources) {
    if (res.type === OBSERVER_TYPE || !tokens.has(unversioned(res.type))) continue;
    const id = res.props["id"];
    if (typeof id === "string" && !isUnknown(id)) seen.add(id.toLowerCase());
  }
  // A declared resource whose id is unknown while its name is known is being updated (a create's
  // preview does not know the name either): what the update leaves unknown, the observer's record of
  // it shows. Only unknowns are filled; nothing the stack declares is overridden.
  const byId = new Map(
    records.flatMap((r) =>
      typeof r.record.id === "string" ? [[r.record.id.toLowerCase(), r] as const] : [],
    ),
  );
  const out: StackResource[] = resources.map((res) => {
    if (res.type === OBSERVER_TYPE || !tokens.has(unversioned(res.type))) return res;
    const id = res.props["id"];
    if (typeof id === "string" && !isUnknown(id)) return withUndeclarable(res, byId.get(id.toLowerCase()));
    if (!isUnknown(id)) return res;
    const name = res.props["name"];
    if (typeof name !== "string" || isUnknown(name)) return res;
    const same = records.filter(
      (r) =>
        r.token === unversioned(res.type) &&
        typeof r.record.name === "string" &&
        sameText(r.record.name, name) === true &&
        typeof r.record.id === "string",
    );
    if (same.length !== 1) return res;
    seen.add((same[0].record.id as string).toLowerCase());
    return { ...res, props: filledFrom(res.props, flattenArm(same[0].record)) as Record<string, unknown> };
  });
  for (const { observer, record, token, i } of records) {
    const id = typeof record.id === "string" ? record.id.toLowerCase() : undefined;
    if (id) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    const name = record.name;
    out.push({
      type: token,
      urn: `${observer.urn}${OBSERVED_MARK}${i}]`,
      name: typeof name === "string" ? name : `${observer.name}-observed-${i}`,
      props: flattenArm(record),
      dependencies: [observer.urn],
      propertyDependencies: {},
    });
  }
  return out;
}

/** `declared` with each unknown value replaced by `observed`'s value at the same path, where it has one. */
/**
 * Settings azure-native cannot declare (its resource has no such input), so a declared resource
 * never says them: a registry's roleAssignmentMode (set with `az acr update --role-assignment-mode`).
 */
export const UNDECLARABLE: Readonly<Record<string, readonly string[]>> = {
  "azure-native:containerregistry:Registry": ["roleAssignmentMode"],
};

/** A declared resource with the settings it cannot declare taken from the observer's record of it. */
function withUndeclarable(
  res: StackResource,
  observed: { record: Record<string, unknown> } | undefined,
): StackResource {
  const keys = UNDECLARABLE[unversioned(res.type)];
  if (!keys || !observed) return res;
  const flat = flattenArm(observed.record);
  const missing = keys.filter((k) => res.props[k] === undefined && flat[k] !== undefined);
  if (missing.length === 0) return res;
  return { ...res, props: { ...res.props, ...Object.fromEntries(missing.map((k) => [k, flat[k]])) } };
}

function filledFrom(declared: unknown, observed: unknown): unknown {
  if (isUnknown(declared)) return observed === undefined ? declared : observed;
  if (Array.isArray(declared)) {
    return Array.isArray(observed) && observed.length === declared.length
      ? declared.map((d, i) => filledFrom(d, observed[i]))
      : declared;
  }
  if (declared === null || typeof declared !== "object") return declared;
  if (observed === null || typeof observed !== "object" || Array.isArray(observed)) return declared;
  const o = observed as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(declared as Record<string, unknown>).map(([k, v]) => [k, filledFrom(v, o[k])]),
  );
}

/** The URN a finding about a resource is reported on: an observed record's is its observer's. */
export function reportedUrn(urn: string): string {
  const at = urn.indexOf(OBSERVED_MARK);
  return at < 0 ? urn : urn.slice(0, at);
}

const derived = new WeakMap<Topology, Map<string, unknown>>();

/**
 * What is derived from a request's topology (pull pairs, indexes, a policy's evaluation shared by
 * its mandatory and advisory halves), computed once per topology and `key`: every policy of a
 * request reads the same topology.
 */
export function perTopology<T>(topo: Topology, key: string, compute: () => T): T {
  let memo = derived.get(topo);
  if (!memo) derived.set(topo, (memo = new Map()));
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
}

/**
 * The AgentPool resources of the stack that belong to the cluster: linked by their `resourceName`
 * input, named under its id, or naming it in the same resource group. Indexed once per topology.
 */
export function agentPoolsOf(topo: Topology, cluster: ClusterNode): StackResource[] {
  const index = perTopology(topo, "agent-pools", () => {
    const out = new Map<ClusterNode, StackResource[]>();
    const byUrn = new Map(topo.clusters.map((c) => [c.res.urn, c]));
    const byKey = new Map<string, ClusterNode>();
    for (const c of topo.clusters) {
      if (c.id) byKey.set(c.id.key, c);
      const name = readString(c.res.props, "name");
      const rg = readString(c.res.props, "resourceGroupName") ?? c.resourceGroup;
      if (known(name) && known(rg)) byKey.set(`name:${rg.toLowerCase()}/${name.toLowerCase()}`, c);
    }
    for (const pool of topo.byKind.get("agentPool") ?? []) {
      const id = readString(pool.props, "id");
      const owner = known(id) ? /^(.*\/managedclusters\/[^/]+)\/agentpools\//i.exec(id)?.[1] : undefined;
      const name = readString(pool.props, "resourceName");
      const rg = readString(pool.props, "resourceGroupName");
      const cluster =
        linked(pool, "resourceName")
          .map((u) => byUrn.get(u))
          .find((c) => c !== undefined) ??
        (owner ? byKey.get(parseArmId(owner)?.key ?? "") : undefined) ??
        (known(name) && known(rg) ? byKey.get(`name:${rg.toLowerCase()}/${name.toLowerCase()}`) : undefined);
      if (cluster) out.set(cluster, [...(out.get(cluster) ?? []), pool]);
    }
    return out;
  });
  return index.get(cluster) ?? [];
}

/**
 * Every node pool of the cluster, as its record reads: its `agentPoolProfiles[]` and the stack's
 * AgentPools of it; UNKNOWN while the profiles are not known (preview).
 */
export function clusterPools(topo: Topology, cluster: ClusterNode): Known<unknown[]> {
  const profiles = readArray(cluster.res.props, "agentPoolProfiles");
  if (profiles === UNKNOWN) return UNKNOWN;
  return [...(profiles ?? []), ...agentPoolsOf(topo, cluster).map((p) => p.props)];
}

export function buildTopology(declared: readonly StackResource[]): Topology {
  const resources = withObserved(declared);
  const byUrn = new Map<string, StackResource>();
  const kinds = new Map<string, ResourceKind>();
  const clusterRes: StackResource[] = [];
  const registries: RegistryNode[] = [];
  const assignments: AssignmentNode[] = [];
  const roleDefinitionsByUrn = new Map<string, RoleDefinitionNode>();
  const roleDefinitionsByGuid = new Map<string, RoleDefinitionNode>();
  const identitiesByUrn = new Map<string, IdentityNode>();
  const servicePrincipalsByUrn = new Map<string, ServicePrincipalNode>();
  const applicationsByUrn = new Map<string, ApplicationNode>();

  const workloads: StackResource[] = [];
  const byKind = new Map<ResourceKind, StackResource[]>();

  for (const res of resources) {
    byUrn.set(res.urn, res);
    const kind = kindOf(res.type);
    if (!kind) {
      if (workloadKind(res.type)) workloads.push(res);
      continue;
    }
    kinds.set(res.urn, kind);
    const sameKind = byKind.get(kind);
    if (sameKind) sameKind.push(res);
    else byKind.set(kind, [res]);
    // Each case reads props itself: a resource's props may be deserialized on first read
    // (`policies/lib/shared-stack.ts`), and most of a stack is kinds not indexed here.
    switch (kind) {
      case "managedCluster":
        clusterRes.push(res);
        break;
      case "registry": {
        const p = res.props;
        const id = ownId(res);
        const name = readString(p, "name") ?? readString(p, "registryName") ?? (id && resourceName(id));
        registries.push({
          res,
          label: labelOf(res, "name", "registryName"),
          isNew: isUnknown(p["id"]) || name === UNKNOWN,
          name,
          loginServer: readString(p, "loginServer"),
          resourceGroup: readString(p, "resourceGroupName") ?? id?.resourceGroup,
          resourceGroupUrns: [...linked(res, "resourceGroupName")],
          id,
          mode: registryMode(res),
        });
        break;
      }
      case "roleAssignment": {
        const p = res.props;
        const scope = readString(p, "scope");
        assignments.push({
          res,
          principalId: readString(p, "principalId"),
          principalUrns: [...linked(res, "principalId")],
          scope,
          scopeId: known(scope) ? parseArmId(scope) : undefined,
          scopeUrns: [...linked(res, "scope")],
          roleDefinitionId: readString(p, "roleDefinitionId"),
          roleUrns: [...linked(res, "roleDefinitionId")],
        });
        break;
      }
      case "roleDefinition": {
        const p = res.props;
        // The GUID is the output `name`, the input `roleDefinitionId`, or the tail of the output `id`.
        const candidates = [readString(p, "name"), readString(p, "roleDefinitionId"), readString(p, "id")];
        const guid = candidates
          .filter((c): c is string => typeof c === "string")
          .map(roleDefinitionGuid)
          .find((g) => g !== undefined);
        const node: RoleDefinitionNode = {
          res,
          guid,
          label: labelOf(res, "roleName"),
          permissions: readPermissions(read(p, "permissions")),
        };
        roleDefinitionsByUrn.set(res.urn, node);
        if (guid) roleDefinitionsByGuid.set(guid, node);
        break;
      }
      case "userAssignedIdentity": {
        const p = res.props;
        identitiesByUrn.set(res.urn, {
          res,
          principalId: readString(p, "principalId"),
          clientId: readString(p, "clientId"),
          id: ownId(res),
          name: readString(p, "name") ?? readString(p, "resourceName"),
        });
        break;
      }
      case "application": {
        const p = res.props;
        applicationsByUrn.set(res.urn, {
          res,
          objectId: readString(p, "objectId"),
          clientId: readString(p, "clientId") ?? readString(p, "applicationId"),
          label: labelOf(res, "displayName"),
        });
        break;
      }
      case "servicePrincipal": {
        const p = res.props;
        servicePrincipalsByUrn.set(res.urn, {
          res,
          objectId: readString(p, "objectId"),
          // azuread v5 named it applicationId, v6 clientId, Microsoft Graph appId.
          clientId: readString(p, "clientId") ?? readString(p, "applicationId") ?? readString(p, "appId"),
          label: labelOf(res, "displayName"),
        });
        break;
      }
      default:
        break;
    }
  }

  const topo: Topology = {
    byUrn,
    kinds,
    clusters: [],
    registries,
    assignments,
    roleDefinitionsByUrn,
    roleDefinitionsByGuid,
    identitiesByUrn,
    servicePrincipalsByUrn,
    applicationsByUrn,
    workloads,
    byKind,
  };
  const spByClientId = new Map<string, ServicePrincipalNode>();
  for (const sp of servicePrincipalsByUrn.values()) {
    if (known(sp.clientId)) spByClientId.set(sp.clientId.toLowerCase(), sp);
  }
  topo.clusters = clusterRes.map((res) => clusterNode(res, topo, spByClientId));
  return topo;
}

function clusterNode(
  res: StackResource,
  topo: Topology,
  spByClientId: ReadonlyMap<string, ServicePrincipalNode>,
): ClusterNode {
  const p = res.props;
  const id = ownId(res);
  const label = labelOf(res, "name", "resourceName");
  const rg = readString(p, "resourceGroupName");
  const node: ClusterNode = {
    res,
    label,
    isNew: isUnknown(p["id"]),
    resourceGroup: known(rg) ? rg : id?.resourceGroup,
    id,
    identity: pullingIdentity(res, topo, spByClientId),
    controlPlane: controlPlane(res, topo),
  };
  return node;
}

/**
 * The identity the kubelet pulls with: the kubelet managed identity
 * (`identityProfile.kubeletidentity`) on a managed-identity cluster, the cluster's service
 * principal on a service-principal cluster (`servicePrincipalProfile.clientId` other than "msi").
 */
function pullingIdentity(
  res: StackResource,
  topo: Topology,
  spByClientId: ReadonlyMap<string, ServicePrincipalNode>,
): PullingIdentity {
  const p = res.props;
  const spClientId = readString(p, "servicePrincipalProfile", "clientId");
  const identityType = readString(p, "identity", "type");
  const hasIdentity = identityType !== undefined || readObject(p, "identityProfile") !== undefined;
  const usesSp =
    !hasIdentity &&
    spClientId !== undefined &&
    (spClientId === UNKNOWN || spClientId.toLowerCase() !== "msi");

  if (usesSp) {
    const candidates = new Set<ServicePrincipalNode>();
    const viaDeps = linked(res, "servicePrincipalProfile");
    for (const urn of viaDeps) {
      const sp = topo.servicePrincipalsByUrn.get(urn);
      if (sp) candidates.add(sp);
    }
    if (known(spClientId)) {
      const sp = spByClientId.get(spClientId.toLowerCase());
      if (sp) candidates.add(sp);
    }
    // The cluster and the service principal may both take the client id from one azuread Application.
    if (candidates.size === 0 && viaDeps.length > 0) {
      const sources = new Set(viaDeps);
      for (const sp of topo.servicePrincipalsByUrn.values()) {
        if (
          linked(sp.res, "clientId").some((u) => sources.has(u)) ||
          linked(sp.res, "applicationId").some((u) => sources.has(u))
        ) {
          candidates.add(sp);
        }
      }
    }
    const sp = [...candidates][0];
    return {
      kind: "servicePrincipal",
      clientId: spClientId,
      objectId: sp?.objectId,
      urns: sp ? [sp.res.urn] : [],
      label: sp
        ? `service principal '${sp.label}'`
        : `service principal ${known(spClientId) ? `(client id ${spClientId})` : "(client id not known yet)"}`,
    };
  }

  let objectId = readString(p, "identityProfile", "kubeletidentity", "objectId");
  const clientId = readString(p, "identityProfile", "kubeletidentity", "clientId");
  const resourceId = readString(p, "identityProfile", "kubeletidentity", "resourceId");
  const urns: string[] = [];
  // A kubelet identity the stack brings itself: linked by dependency, or by its resource id.
  for (const urn of linked(res, "identityProfile")) {
    if (topo.identitiesByUrn.has(urn)) urns.push(urn);
  }
  if (known(resourceId)) {
    const rid = parseArmId(resourceId);
    for (const ident of topo.identitiesByUrn.values()) {
      const match =
        rid && (ident.id ? ident.id.key === rid.key : sameText(ident.name, resourceName(rid)) === true);
      if (match && !urns.includes(ident.res.urn)) urns.push(ident.res.urn);
    }
  }
  if (!known(objectId)) {
    const fromIdentity = urns.map((u) => topo.identitiesByUrn.get(u)!.principalId).find(known);
    if (fromIdentity) objectId = fromIdentity;
  }
  return {
    kind: "kubelet",
    clientId,
    objectId,
    urns,
    label: `kubelet identity${known(objectId) ? ` (object id ${objectId})` : ""}`,
  };
}

function controlPlane(res: StackResource, topo: Topology): PrincipalRef[] {
  const out: PrincipalRef[] = [];
  const systemAssigned = readString(res.props, "identity", "principalId");
  if (systemAssigned !== undefined) {
    out.push({ objectId: systemAssigned, urns: [], label: "control-plane (system-assigned) identity" });
  }
  const userAssigned = readObject(res.props, "identity", "userAssignedIdentities");
  if (known(userAssigned)) {
    for (const [rid, value] of Object.entries(userAssigned)) {
      const parsed = parseArmId(rid);
      const ident = [...topo.identitiesByUrn.values()].find((i) =>
        i.id && parsed ? i.id.key === parsed.key : sameText(i.name, parsed && resourceName(parsed)) === true,
      );
      const objectId = readString(value, "principalId") ?? ident?.principalId;
      out.push({
        objectId,
        urns: ident ? [ident.res.urn] : [],
        label: `control-plane identity '${(parsed && resourceName(parsed)) ?? rid}'`,
      });
    }
  }
  for (const urn of linked(res, "identity")) {
    const ident = topo.identitiesByUrn.get(urn);
    if (ident && !out.some((o) => o.urns.includes(urn))) {
      out.push({
        objectId: ident.principalId,
        urns: [urn],
        label: `control-plane identity '${ident.res.name}'`,
      });
    }
  }
  return out;
}

/**
 * The private endpoints of the stack that connect to a registry: a connection (automatic or
 * manual) whose `privateLinkServiceId` is the registry, by property dependency or by id.
 */
export function registryPrivateEndpoints(topo: Topology, reg: RegistryNode): StackResource[] {
  // Indexed once per topology by what names the target (every endpoint, every registry: a fleet's
  // recording has thousands of each).
  const index = perTopology(topo, "registry-private-endpoints", () => {
    const byUrn = new Map<string, StackResource[]>();
    const byKey = new Map<string, StackResource[]>();
    const byName = new Map<string, StackResource[]>();
    const push = (m: Map<string, StackResource[]>, k: string, pe: StackResource) => {
      const list = m.get(k) ?? [];
      if (list[list.length - 1] !== pe) list.push(pe);
      m.set(k, list);
    };
    for (const pe of topo.byKind.get("privateEndpoint") ?? []) {
      for (const u of [
        ...linked(pe, "privateLinkServiceConnections"),
        ...linked(pe, "manualPrivateLinkServiceConnections"),
      ])
        push(byUrn, u, pe);
      for (const key of ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]) {
        const list = readArray(pe.props, key);
        if (!known(list)) continue;
        for (const c of list) {
          const target = readArmProp(c, "privateLinkServiceId");
          const id = typeof target === "string" ? parseArmId(target) : undefined;
          if (!id) continue;
          push(byKey, id.key, pe);
          const name = resourceName(id);
          if (name) push(byName, name.toLowerCase(), pe);
        }
      }
    }
    const order = new Map((topo.byKind.get("privateEndpoint") ?? []).map((pe, i) => [pe, i]));
    return { byUrn, byKey, byName, order };
  });
  const found = new Set([
    ...(index.byUrn.get(reg.res.urn) ?? []),
    ...(reg.id
      ? (index.byKey.get(reg.id.key) ?? [])
      : known(reg.name)
        ? (index.byName.get(reg.name.toLowerCase()) ?? [])
        : []),
  ]);
  return [...found].sort((a, b) => index.order.get(a)! - index.order.get(b)!);
}
