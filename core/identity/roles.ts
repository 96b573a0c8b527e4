/**
 * The role catalogue of CAUSES.md: which roles let an identity pull from a registry.
 *
 * A registry in the default mode ("RBAC Registry Permissions") authorises a pull with the control
 * plane action `Microsoft.ContainerRegistry/registries/pull/read`. A registry in ABAC mode
 * (`roleAssignmentMode: AbacRepositoryPermissions`) no longer honours AcrPull/AcrPush: there a pull
 * needs the data action `.../registries/repositories/content/read`, which the Container Registry
 * Repository roles carry.
 * https://learn.microsoft.com/azure/container-registry/container-registry-rbac-built-in-roles-directory-reference
 */
import { parseArmId } from "../stack/arm-id";

export const PULL_ACTION = "Microsoft.ContainerRegistry/registries/pull/read";
export const ABAC_PULL_DATA_ACTION = "Microsoft.ContainerRegistry/registries/repositories/content/read";

export type RegistryMode = "rbac" | "abac";

export interface BuiltInRole {
  guid: string;
  name: string;
  /** Grants pull on a registry in RBAC mode / in ABAC mode. */
  pullsRbac: boolean;
  pullsAbac: boolean;
  /** Grants more than pulling (push, delete, write, manage). */
  broaderThanPull: boolean;
}

export const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
export const ACR_REPOSITORY_READER = "b93aa761-3e63-49ed-ac28-beffa264f7ac";

const BUILT_INS: BuiltInRole[] = [
  { guid: ACR_PULL, name: "AcrPull", pullsRbac: true, pullsAbac: false, broaderThanPull: false },
  {
    guid: "8311e382-0749-4cb8-b61a-304f252e45ec",
    name: "AcrPush",
    pullsRbac: true,
    pullsAbac: false,
    broaderThanPull: true,
  },
  {
    guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    name: "Owner",
    pullsRbac: true,
    pullsAbac: false,
    broaderThanPull: true,
  },
  {
    guid: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    name: "Contributor",
    pullsRbac: true,
    pullsAbac: false,
    broaderThanPull: true,
  },
  {
    guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    name: "Reader",
    pullsRbac: true,
    pullsAbac: false,
    broaderThanPull: false,
  },
  {
    guid: "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
    name: "Container Registry Data Importer and Data Reader",
    pullsRbac: true,
    pullsAbac: false,
    broaderThanPull: true,
  },
  // The repository roles carry data actions, which both modes honour.
  {
    guid: ACR_REPOSITORY_READER,
    name: "Container Registry Repository Reader",
    pullsRbac: true,
    pullsAbac: true,
    broaderThanPull: false,
  },
  {
    guid: "2a1e307c-b015-4ebd-883e-5b7698a07328",
    name: "Container Registry Repository Writer",
    pullsRbac: true,
    pullsAbac: true,
    broaderThanPull: true,
  },
  {
    guid: "2efddaa5-3f1f-4df3-97df-af3f13818f4c",
    name: "Container Registry Repository Contributor",
    pullsRbac: true,
    pullsAbac: true,
    broaderThanPull: true,
  },
  // Built-ins scoped to registries that do not pull: named in messages, never counted as a grant.
  ...(
    [
      ["c2f4ef07-c644-48eb-af81-4b1b4947fb11", "AcrDelete"],
      ["6cef56e8-d556-48e5-a04f-b8e64114680f", "AcrImageSigner"],
      ["cdda3590-29a3-44f6-95f2-9f980659eb04", "AcrQuarantineReader"],
      ["c8d4ff99-41c3-41a8-9f60-21dfdad59608", "AcrQuarantineWriter"],
      ["bfdb9389-c9a5-478a-bb2f-ba9ca092c3c7", "Container Registry Repository Catalog Lister"],
      ["fb382eab-e894-4461-af04-94435c366c3f", "Container Registry Tasks Contributor"],
      [
        "3bc748fc-213d-45c1-8d91-9da5725539b9",
        "Container Registry Contributor and Data Access Configuration Administrator",
      ],
      ["bf94e731-3a51-4a7c-8c54-a1ab9971dfc1", "Container Registry Transfer Pipeline Contributor"],
      ["f094fb07-0703-4400-ad6a-e16dd8000e14", "Container Registry Credential Set Administrator"],
      ["29093635-9924-4f2c-913b-650a12949526", "Container Registry Credential Set Reader"],
    ] as const
  ).map(([guid, name]) => ({ guid, name, pullsRbac: false, pullsAbac: false, broaderThanPull: false })),
];

const BY_GUID = new Map(BUILT_INS.map((r) => [r.guid, r]));

/** The GUID a role definition id ends in (`.../roleDefinitions/<guid>`, or a bare GUID). */
export function roleDefinitionGuid(roleDefinitionId: string): string | undefined {
  const id = parseArmId(roleDefinitionId);
  const last = id ? id.resources[id.resources.length - 1] : undefined;
  const candidate = last
    ? last.type.toLowerCase() === "roledefinitions"
      ? last.name
      : undefined
    : roleDefinitionId;
  return candidate && GUID.test(candidate) ? candidate.toLowerCase() : undefined;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function builtInRole(guid: string): BuiltInRole | undefined {
  return BY_GUID.get(guid.toLowerCase());
}

/** The built-in role that fixes a missing pull in this mode: least privilege. */
export function pullRoleFor(mode: RegistryMode): BuiltInRole {
  return BY_GUID.get(mode === "abac" ? ACR_REPOSITORY_READER : ACR_PULL)!;
}

/** One `permissions` block of a role definition, as ARM returns it. */
export interface RolePermission {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

/**
 * ARM's action matching: case-insensitive, `*` matches any run of characters (so
 * `Microsoft.ContainerRegistry/*` and `*\/read` both cover the pull action).
 */
export function actionMatches(pattern: string, action: string): boolean {
  if (!pattern.includes("*")) return pattern.toLowerCase() === action.toLowerCase();
  const re = new RegExp(
    "^" +
      pattern
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
        .join(".*") +
      "$",
    "i",
  );
  return re.test(action);
}

/** Whether any permission block grants `action` (its actions cover it and its notActions do not). */
export function permissionsGrant(permissions: RolePermission[], action: string, data: boolean): boolean {
  return permissions.some((p) => {
    const allow = (data ? p.dataActions : p.actions) ?? [];
    const deny = (data ? p.notDataActions : p.notActions) ?? [];
    return allow.some((a) => actionMatches(a, action)) && !deny.some((a) => actionMatches(a, action));
  });
}

/** Whether a custom role's permissions let its holder pull from a registry in `mode`. */
export function customRolePulls(permissions: RolePermission[], mode: RegistryMode): boolean {
  return mode === "abac"
    ? permissionsGrant(permissions, ABAC_PULL_DATA_ACTION, true)
    : permissionsGrant(permissions, PULL_ACTION, false) ||
        permissionsGrant(permissions, ABAC_PULL_DATA_ACTION, true);
}

const BROADER_ACTIONS: [string, boolean][] = [
  ["Microsoft.ContainerRegistry/registries/push/write", false],
  ["Microsoft.ContainerRegistry/registries/artifacts/delete", false],
  ["Microsoft.ContainerRegistry/registries/write", false],
  ["Microsoft.Authorization/roleAssignments/write", false],
  ["Microsoft.ContainerRegistry/registries/repositories/content/write", true],
  ["Microsoft.ContainerRegistry/registries/repositories/content/delete", true],
];

/** Whether a custom role lets its holder do more to a registry than pull (push, delete, manage, grant). */
export function customRoleBroaderThanPull(permissions: RolePermission[]): boolean {
  return BROADER_ACTIONS.some(([action, data]) => permissionsGrant(permissions, action, data));
}
