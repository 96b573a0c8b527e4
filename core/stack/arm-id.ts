/**
 * Azure Resource Manager ids: parsing, case-insensitive comparison and scope ancestry.
 * ARM treats ids case-insensitively, and role assignments inherit down the scope tree
 * (root > management group > subscription > resource group > resource > child resource).
 */
export type ArmScopeKind = "root" | "managementGroup" | "subscription" | "resourceGroup" | "resource";

export interface ArmResourceSegment {
  /** Provider namespace, e.g. `Microsoft.ContainerRegistry`. */
  namespace: string;
  /** Resource type below the namespace, e.g. `registries`. */
  type: string;
  name: string;
}

export interface ArmId {
  /** The id as given. */
  raw: string;
  /** Lower-cased, no trailing slash: the form ids are compared in. */
  key: string;
  kind: ArmScopeKind;
  managementGroup?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** Provider segments from the outermost resource in; extension resources add more. */
  resources: ArmResourceSegment[];
}

export const ARM_ID_FORM =
  "/subscriptions/<subscription>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>";

/** Parses an ARM id; undefined when `raw` is not one. */
export function parseArmId(raw: unknown): ArmId | undefined {
  if (typeof raw !== "string") return undefined;
  const trimmed = raw.trim();
  if (!trimmed.startsWith("/")) return undefined;
  if (trimmed === "/") return { raw, key: "/", kind: "root", resources: [] };
  const parts = trimmed.replace(/\/+$/, "").split("/").slice(1);
  if (parts.some((p) => p.length === 0)) return undefined;

  const id: ArmId = { raw, key: "/" + parts.join("/").toLowerCase(), kind: "root", resources: [] };
  let i = 0;
  const eq = (k: number, word: string) => parts[k]?.toLowerCase() === word;

  if (eq(0, "providers") && eq(1, "microsoft.management") && eq(2, "managementgroups")) {
    if (!parts[3]) return undefined;
    id.managementGroup = parts[3];
    id.kind = "managementGroup";
    i = 4;
  } else if (eq(0, "subscriptions")) {
    if (!parts[1]) return undefined;
    id.subscriptionId = parts[1];
    id.kind = "subscription";
    i = 2;
    if (eq(2, "resourcegroups")) {
      if (!parts[3]) return undefined;
      id.resourceGroup = parts[3];
      id.kind = "resourceGroup";
      i = 4;
    }
  }
  // What follows is zero or more `providers/<Namespace>/<type>/<name>[/<type>/<name>...]`.
  while (i < parts.length) {
    if (!eq(i, "providers") || i + 3 >= parts.length) return undefined;
    const namespace = parts[i + 1];
    i += 2;
    do {
      if (i + 1 >= parts.length) return undefined;
      id.resources.push({ namespace, type: parts[i], name: parts[i + 1] });
      i += 2;
    } while (i < parts.length && !eq(i, "providers"));
    id.kind = "resource";
  }
  return id;
}

/** The last resource segment's `<Namespace>/<type>[/<childType>]` path, lower-cased. */
export function resourceType(id: ArmId): string | undefined {
  if (id.resources.length === 0) return undefined;
  const last = id.resources[id.resources.length - 1];
  const sameProvider = id.resources.filter((r) => r.namespace.toLowerCase() === last.namespace.toLowerCase());
  return [last.namespace, ...sameProvider.map((r) => r.type)].join("/").toLowerCase();
}

/** Whether an ARM id names a container registry. */
export function isRegistryId(id: ArmId): boolean {
  return resourceType(id) === "microsoft.containerregistry/registries";
}

export function resourceName(id: ArmId): string | undefined {
  return id.resources.length ? id.resources[id.resources.length - 1].name : undefined;
}

export function armIdEquals(a: ArmId | string, b: ArmId | string): boolean {
  const ka = typeof a === "string" ? parseArmId(a)?.key : a.key;
  const kb = typeof b === "string" ? parseArmId(b)?.key : b.key;
  return ka !== undefined && ka === kb;
}

/**
 * Whether a role assigned at `scope` applies to `target`. A management group's membership is not
 * visible in an id, so a management-group scope is taken to cover everything below it: a pull
 * role granted there is deliberate, and calling it missing would be a false alarm.
 */
export function isScopeAncestorOrSelf(scope: ArmId, target: ArmId): boolean {
  if (scope.kind === "root" || scope.kind === "managementGroup") return true;
  return target.key === scope.key || target.key.startsWith(scope.key + "/");
}

export function registryId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${name}`;
}

/**
 * `value` parsed as the ARM id of a `Namespace/type` resource (e.g. `Microsoft.Network/virtualNetworks`,
 * `what`: "virtual network") with a resource group; otherwise an error naming the component, the
 * field, the value and the form expected.
 */
export function requireArmId(owner: string, field: string, value: string, type: string, what: string): ArmId {
  const id = parseArmId(value);
  if (!id || resourceType(id) !== type.toLowerCase() || !id.subscriptionId || !id.resourceGroup) {
    throw new Error(
      `${owner}: ${field} ${JSON.stringify(value)} is not the ARM id of a ${what}; expected ` +
        ARM_ID_FORM.replace("<Namespace>/<type>", type),
    );
  }
  return id;
}

/**
 * A subscription-wide collection, `/subscriptions/<s>/providers/<NS>/<type>` (ARM lists every
 * resource of the type in the subscription there): its subscription and lower-case type.
 */
export function subscriptionCollection(path: string): { subscriptionId: string; type: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/providers\/([^/]+\/[^/]+)$/i.exec(path.replace(/\/+$/, ""));
  return m ? { subscriptionId: m[1].toLowerCase(), type: m[2].toLowerCase() } : undefined;
}

/** Whether an ARM record lies in a subscription, and is of a type (lower case), for a subscription-wide list. */
export function inSubscriptionCollection(
  record: { id: string; type: string },
  c: { subscriptionId: string; type: string },
): boolean {
  return (
    record.type.toLowerCase() === c.type &&
    record.id.toLowerCase().startsWith(`/subscriptions/${c.subscriptionId}/`)
  );
}
