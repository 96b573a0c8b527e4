/**
 * A recorded environment ("world"): `{ "resources": [...], "kubernetes": [...], "config": {...},
 * "policyConfig": {...} }`. Resources are ARM resource JSON exactly as Azure Resource Graph returns
 * it (`id`, `name`, `type`, `location`, `sku`, `identity`, `properties`, ...); kubernetes objects
 * are as `kubectl get -o json` prints them; config is the program's stack config; policyConfig
 * sets policies' config as a policy-pack config file does. The raw output of `az graph query -o
 * json` (`{ "data": [...] }`) and of `kubectl get ... -o json` (`{ "kind": "List", "items": [...] }`)
 * are read as they are, and several files make one world. Every mistake is reported as the file,
 * the JSON path and what was expected.
 */
import * as fs from "node:fs";
import { parseArmId } from "../core/stack/arm-id";
import { armInputsOf, armShapeOf } from "../core/stack/azure-native-shape";
import { ArmRecord, flattenArm, subscriptionTenants, tokenOfArmType } from "../core/stack/arm-types";
import { OBSERVER_TYPE, UnreadScope } from "../core/stack/topology";
import { kubernetesInputsOf, PolicyResourceInput } from "./resources";

export interface World {
  file: string;
  resources: ArmRecord[];
  kubernetes: KubernetesObject[];
  config: Record<string, string>;
  policyConfig: Record<string, Record<string, unknown>>;
  /** What the capture says it read and could not (capture-world.sh's `coverage` section), if it says. */
  coverage?: Coverage;
}

/**
 * capture-world.sh's account of itself: the subscriptions it asked for and whether Resource Graph
 * showed them, and the reads that failed (an error) or were skipped (no permission, no context).
 */
export interface Coverage {
  subscriptions: { id: string; read: boolean }[];
  /** `scope` and `reads` (e.g. "roleAssignments") where the read that failed held what applies there. */
  failed: { read: string; error: string; scope?: string; reads?: string }[];
  skipped: { read: string; why: string }[];
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export class WorldError extends Error {
  constructor(file: string, at: string, problem: string) {
    super(`${file}: ${at}: ${problem}`);
    this.name = "WorldError";
  }
}

/**
 * Reads one or more files (a world, `az graph query` output, `kubectl get -o json` output) as one
 * world. A record two files (or one) hold twice is one record: ARM records by id, case aside, as
 * ARM compares them; Kubernetes objects by kind, namespace and name. Two records of one resource
 * that differ are refused, naming both places.
 */
export function loadWorld(...files: string[]): World {
  const world: World = {
    file: files.join(" + "),
    resources: [],
    kubernetes: [],
    config: {},
    policyConfig: {},
  };
  const seen = new Map<string, { where: string; text: string }>();
  /** Whether `item` is new; the same one again is dropped, another one under its key is refused. */
  const fresh = (key: string, item: unknown, file: string, at: string) => {
    // An ARM id's case is not part of it: two captures may spell `resourceGroups` differently.
    const text = canonical(
      isObject(item) && typeof item.id === "string" ? { ...item, id: item.id.toLowerCase() } : item,
    );
    const first = seen.get(key);
    if (!first) {
      seen.set(key, { where: `${file} ${at}`, text });
      return true;
    }
    if (first.text === text) return false;
    throw new WorldError(
      file,
      at,
      `records ${key} again, differently from ${first.where}; expected one record per resource (record each once, or from one capture)`,
    );
  };
  for (const file of files) {
    const part = loadFile(file);
    part.resources.forEach((r, i) => {
      if (fresh(`ARM resource ${r.id.toLowerCase()}`, r, file, `$.resources[${i}]`)) world.resources.push(r);
    });
    part.kubernetes.forEach((o, i) => {
      const key = `Kubernetes ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;
      if (fresh(key, o, file, `$.kubernetes[${i}]`)) world.kubernetes.push(o);
    });
    Object.assign(world.config, part.config);
    Object.assign(world.policyConfig, part.policyConfig);
    if (part.coverage) {
      const into = (world.coverage ??= { subscriptions: [], failed: [], skipped: [] });
      // A subscription one capture read counts as read, whichever file says so.
      for (const sub of part.coverage.subscriptions) {
        const same = into.subscriptions.find((x) => x.id.toLowerCase() === sub.id.toLowerCase());
        if (same) same.read ||= sub.read;
        else into.subscriptions.push({ ...sub });
      }
      into.failed.push(...part.coverage.failed);
      into.skipped.push(...part.coverage.skipped);
    }
  }
  return world;
}

/**
 * The scopes whose records the recording may lack, and what it lacks there: an unread subscription
 * lacks everything, a failed role-assignment read the assignments that apply at its scope. The
 * pack reads them from the environment observer (`unread`) and takes no absence there for certain.
 */
export function unreadScopesOf(world: World): UnreadScope[] {
  const c = world.coverage;
  if (!c) return [];
  return [
    ...c.subscriptions
      .filter((s) => !s.read)
      .flatMap((s) => READS.map((reads) => ({ scope: `/subscriptions/${s.id}`, reads }))),
    ...c.failed.flatMap((f) => (f.scope && f.reads ? [{ scope: f.scope, reads: f.reads }] : [])),
  ];
}
const READS = ["resources", "roleAssignments"];

/** What the recording says it could not read, a line each: what depends on it is asked, not failed. */
export function unreadOf(world: World): string[] {
  const c = world.coverage;
  if (!c) return [];
  return [
    ...c.subscriptions
      .filter((s) => !s.read)
      .map(
        (s) =>
          `subscription ${s.id}: Resource Graph showed none of it (the capture's identity needs Reader there)`,
      ),
    ...c.failed.map((f) => `${f.read}: ${f.error}`),
    ...c.skipped.map((f) => `${f.read}: ${f.why}`),
  ];
}

/** JSON with object keys sorted: two captures of one record compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}

/** The two ends of a pull a recording is judged for: the program's config key, ARM type, and what to check when missing. */
export const PULL_PAIR_KINDS = [
  {
    key: "clusterId",
    type: "microsoft.containerservice/managedclusters",
    what: "managed cluster",
    armType: "Microsoft.ContainerService/managedClusters",
    check: "the cluster's subscription (az aks show --ids <cluster-id> --query id)",
  },
  {
    key: "registryId",
    type: "microsoft.containerregistry/registries",
    what: "container registry",
    armType: "Microsoft.ContainerRegistry/registries",
    check: "the registry's subscription (az acr show --ids <registry-id> --query id)",
  },
] as const;

/**
 * The recording holds a cluster and a registry to judge: a capture run in the wrong subscription,
 * or without read access, records neither, and would otherwise read as a healthy environment.
 */
export function requirePullPair(world: World): void {
  for (const { type, what, armType, check } of PULL_PAIR_KINDS) {
    if (!world.resources.some((r) => r.type.toLowerCase() === type))
      throw new WorldError(
        world.file,
        "$.resources",
        `holds no ${what} (${armType}): nothing to judge. Check that the capture read ${check} and that its identity may read it (Reader)`,
      );
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new WorldError(
      file,
      "$",
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WorldError(file, "$", `is not JSON (${(e as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

function loadFile(file: string): World {
  const json = readJson(file);
  const world: World = { file, resources: [], kubernetes: [], config: {}, policyConfig: {} };
  // kubectl: a List, or one object.
  if (isObject(json) && typeof json.kind === "string" && typeof json.apiVersion === "string") {
    world.kubernetes = kubernetesObjects(file, "$", json);
    return world;
  }
  // `az graph query -o json` prints the rows under `data`; a bare array is a list of resources.
  const root = Array.isArray(json) ? { resources: json } : json;
  if (!isObject(root))
    throw new WorldError(
      file,
      "$",
      "expected an object with a `resources` array, `az graph query` or `kubectl get -o json` output",
    );
  const list = root.resources ?? root.data;
  if (list !== undefined && !Array.isArray(list))
    throw new WorldError(
      file,
      root.resources !== undefined ? "$.resources" : "$.data",
      "expected an array of ARM resources",
    );
  if (list === undefined && root.kubernetes === undefined)
    throw new WorldError(file, "$.resources", "expected an array of ARM resources");
  const at = root.resources !== undefined ? "$.resources" : "$.data";
  world.resources = (list ?? []).map((r, i) => checkResource(file, `${at}[${i}]`, r));
  if (root.kubernetes !== undefined) {
    if (!Array.isArray(root.kubernetes))
      throw new WorldError(file, "$.kubernetes", "expected an array of Kubernetes objects");
    world.kubernetes = root.kubernetes.flatMap((o, i) => kubernetesObjects(file, `$.kubernetes[${i}]`, o));
  }
  const rawConfig = root.config ?? {};
  if (!isObject(rawConfig)) throw new WorldError(file, "$.config", "expected an object of string values");
  for (const [k, v] of Object.entries(rawConfig)) {
    if (typeof v !== "string")
      throw new WorldError(file, `$.config.${k}`, `expected a string, got ${JSON.stringify(v)}`);
    world.config[k] = v;
  }
  if (root.coverage !== undefined) world.coverage = coverageOf(file, root.coverage);
  const policyConfig = root.policyConfig ?? {};
  if (!isObject(policyConfig))
    throw new WorldError(file, "$.policyConfig", "expected an object: policy name to its config object");
  for (const [k, v] of Object.entries(policyConfig)) {
    if (!isObject(v))
      throw new WorldError(file, `$.policyConfig.${k}`, "expected an object of config values");
    world.policyConfig[k] = v;
  }
  return world;
}

function coverageOf(file: string, c: unknown): Coverage {
  if (!isObject(c))
    throw new WorldError(file, "$.coverage", "expected an object (capture-world.sh's coverage)");
  const list = <T>(key: string, item: (x: Record<string, unknown>) => T | undefined, form: string): T[] => {
    const v = c[key] ?? [];
    if (!Array.isArray(v)) throw new WorldError(file, `$.coverage.${key}`, `expected an array of ${form}`);
    return v.map((x, i) => {
      const got = isObject(x) ? item(x) : undefined;
      if (got === undefined) throw new WorldError(file, `$.coverage.${key}[${i}]`, `expected ${form}`);
      return got;
    });
  };
  const str = (x: Record<string, unknown>, k: string) => (typeof x[k] === "string" ? x[k] : undefined);
  return {
    subscriptions: list(
      "subscriptions",
      (x) => (str(x, "id") && typeof x.read === "boolean" ? { id: str(x, "id")!, read: x.read } : undefined),
      '{"id": "<subscription>", "read": true|false}',
    ),
    failed: list(
      "failed",
      (x) =>
        str(x, "read")
          ? {
              read: str(x, "read")!,
              error: str(x, "error") ?? "",
              ...(str(x, "scope") ? { scope: str(x, "scope"), reads: str(x, "reads") ?? "" } : {}),
            }
          : undefined,
      '{"read": "<what>", "error": "<why>"[, "scope": "<ARM scope>", "reads": "roleAssignments"]}',
    ),
    skipped: list(
      "skipped",
      (x) => (str(x, "read") ? { read: str(x, "read")!, why: str(x, "why") ?? "" } : undefined),
      '{"read": "<what>", "why": "<why>"}',
    ),
  };
}

function kubernetesObjects(file: string, at: string, o: unknown): KubernetesObject[] {
  if (!isObject(o)) throw new WorldError(file, at, "expected a Kubernetes object");
  if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
    return o.items.flatMap((item, i) => kubernetesObjects(file, `${at}.items[${i}]`, item));
  }
  for (const key of ["apiVersion", "kind"]) {
    if (typeof o[key] !== "string" || o[key] === "")
      throw new WorldError(file, `${at}.${key}`, "expected a non-empty string");
  }
  if (!isObject(o.metadata) || typeof o.metadata.name !== "string" || o.metadata.name === "")
    throw new WorldError(file, `${at}.metadata.name`, "expected a non-empty string");
  return [o as KubernetesObject];
}

function checkResource(file: string, at: string, r: unknown): ArmRecord {
  if (r === null || typeof r !== "object" || Array.isArray(r))
    throw new WorldError(file, at, "expected an ARM resource object");
  const o = r as Record<string, unknown>;
  for (const key of ["id", "name", "type"]) {
    if (typeof o[key] !== "string" || o[key] === "")
      throw new WorldError(file, `${at}.${key}`, "expected a non-empty string");
  }
  // Microsoft Graph records (an observer's service principals) carry Graph paths, not ARM ids.
  if (!parseArmId(o.id) && !(o.type as string).toLowerCase().startsWith("microsoft.graph/")) {
    throw new WorldError(
      file,
      `${at}.id`,
      `${JSON.stringify(o.id)} is not an ARM id; expected /subscriptions/<subscription>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>`,
    );
  }
  if (o.properties !== undefined && (o.properties === null || typeof o.properties !== "object")) {
    throw new WorldError(file, `${at}.properties`, "expected an object");
  }
  return o as ArmRecord;
}

/**
 * Pulumi names are unique per type: a repeated name (the same name in two groups) gets the first
 * free suffix, `-2`, `-3`, ... (counted from the last one given, so a fleet of same-named zones is
 * named in linear time). The offline preview and the engine suite name a world's records alike.
 */
export function uniqueNamer(): (type: string, base: string) => string {
  const names = new Set<string>();
  const next = new Map<string, number>();
  return (type, base) => {
    const k = `${type}::${base}`;
    let name = base;
    for (let n = next.get(k) ?? 2; names.has(`${type}::${name}`); n++) {
      name = `${base}-${n}`;
      next.set(k, n + 1);
    }
    names.add(`${type}::${name}`);
    return name;
  };
}

/** The subscription a stack that owns the world deploys into: the cluster's. */
export function homeSubscription(world: World): string {
  const id = world.config.clusterId ?? world.resources.find((r) => parseArmId(r.id)?.subscriptionId)?.id;
  const sub = parseArmId(id)?.subscriptionId;
  if (!sub) throw new WorldError(world.file, "$.resources", "no record names a subscription");
  return sub;
}

/**
 * The azure-native provider a stack that owns the world declares for another subscription (a
 * landing zone's connectivity hub, a registry in another tenant), as such a stack declares it:
 * its `subscriptionId`, and the `tenantId` its records carry (Resource Graph gives every row one).
 */
export function subscriptionProviders(
  world: World,
): Map<string, { name: string; config: Record<string, string> }> {
  const home = homeSubscription(world).toLowerCase();
  const tenants = subscriptionTenants(world.resources);
  const out = new Map<string, { name: string; config: Record<string, string> }>();
  for (const r of world.resources) {
    const sub = parseArmId(r.id)?.subscriptionId;
    const key = sub?.toLowerCase();
    if (!sub || !key || key === home || out.has(key) || !tokenOfArmType(r.type)) continue;
    const tenantId = tenants.get(key);
    out.set(key, {
      name: `subscription-${sub}`,
      config: { subscriptionId: sub, ...(tenantId ? { tenantId } : {}) },
    });
  }
  return out;
}

/** The annotation capture-world.sh puts on each Kubernetes object: the ARM id of its cluster. */
export const CLUSTER_ANNOTATION = "aks-acr-guard.io/cluster";

function clusterAnnotation(o: KubernetesObject): string | undefined {
  const a = (o.metadata.annotations as Record<string, unknown> | undefined)?.[CLUSTER_ANNOTATION];
  return typeof a === "string" ? a : undefined;
}

/**
 * The Kubernetes provider a stack declares for each recorded cluster, as one made from the cluster's
 * kubeconfig names its API server: so a fleet recording's workloads are placed on their own cluster.
 */
function kubernetesProviders(world: World): Map<string, PolicyResourceInput> {
  const out = new Map<string, PolicyResourceInput>();
  const named = new Set(world.kubernetes.map((o) => clusterAnnotation(o)?.toLowerCase()));
  for (const r of world.resources) {
    if (r.type.toLowerCase() !== "microsoft.containerservice/managedclusters") continue;
    if (!named.has(r.id.toLowerCase())) continue;
    const p = (r.properties ?? {}) as Record<string, unknown>;
    const host = [p.fqdn, p.privateFQDN].find((h): h is string => typeof h === "string" && h !== "");
    if (!host) continue;
    const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: ${r.name}\n  cluster:\n    server: https://${host}:443\n`;
    out.set(r.id.toLowerCase(), {
      type: "pulumi:providers:kubernetes",
      name: `cluster-${r.name}`,
      props: { kubeconfig },
      inputs: { kubeconfig },
    });
  }
  return out;
}

/** The name of the observer that carries, offline, what a stack could not declare. */
export const ENVIRONMENT_OBSERVER = "environment";

/**
 * The world as the engine would show it for a stack that owns it: each record azure-native
 * declares as a resource of its token (inputs for Analyze, the record flattened as azure-native's
 * outputs for AnalyzeStack), each Kubernetes object as the resource a program declares, and what
 * no stack declares (Graph service principals, registry credentials) as the outputs of an
 * AksAcrObserver, as a stack that declares one sees them. Types this package does not read are
 * counted.
 */
export function stackOf(world: World): { resources: PolicyResourceInput[]; ignored: Record<string, number> } {
  const resources: PolicyResourceInput[] = [];
  const ignored: Record<string, number> = {};
  const observed: ArmRecord[] = [];
  const unique = uniqueNamer();
  const add = (r: Omit<PolicyResourceInput, "name">, base: string) => {
    resources.push({ ...r, name: unique(r.type, base) });
  };
  // Records of another subscription are declared through a provider for it, as the stack would.
  const providers = new Map(
    [...subscriptionProviders(world)].map(([sub, p]) => [
      sub,
      { type: "pulumi:providers:azure-native", name: p.name, props: p.config, inputs: p.config },
    ]),
  );
  for (const r of world.resources) {
    const token = tokenOfArmType(r.type);
    const provider = providers.get(parseArmId(r.id)?.subscriptionId?.toLowerCase() ?? "");
    if (!token) ignored[r.type] = (ignored[r.type] ?? 0) + 1;
    else if (!armShapeOf(token)) observed.push(r);
    else
      add(
        {
          type: token,
          props: flattenArm(r),
          inputs: armInputsOf(token, r),
          ...(provider ? { provider } : {}),
        },
        r.name,
      );
  }
  const kubeProviders = kubernetesProviders(world);
  for (const o of world.kubernetes) {
    // kubectl prints `apps/v1` and `v1`; Pulumi's token is `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:Pod`.
    const group = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
    const base = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
    const provider = kubeProviders.get(clusterAnnotation(o)?.toLowerCase() ?? "");
    add(
      {
        type: `kubernetes:${group}:${o.kind}`,
        props: o,
        inputs: kubernetesInputsOf(o),
        ...(provider ? { provider } : {}),
      },
      base,
    );
  }
  // Always there, as the AksAcrObserver a stack that owns the environment declares: what it
  // observed, and what the capture could not read.
  const unread = unreadScopesOf(world);
  add(
    { type: OBSERVER_TYPE, props: { observed, ...(unread.length ? { unread } : {}) }, inputs: {} },
    ENVIRONMENT_OBSERVER,
  );
  return { resources, ignored };
}
