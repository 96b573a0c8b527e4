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
import { parseArmId } from "../core/arm-id";
import { armInputsOf, armShapeOf } from "../core/azure-native-shape";
import { ArmRecord, flattenArm, tokenOfArmType } from "../core/arm-types";
import { OBSERVER_TYPE } from "../core/topology";
import { kubernetesInputsOf, PolicyResourceInput } from "./resources";

export interface World {
  file: string;
  resources: ArmRecord[];
  kubernetes: KubernetesObject[];
  config: Record<string, string>;
  policyConfig: Record<string, Record<string, unknown>>;
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

/** Reads one or more files (a world, `az graph query` output, `kubectl get -o json` output) as one world. */
export function loadWorld(...files: string[]): World {
  const world: World = {
    file: files.join(" + "),
    resources: [],
    kubernetes: [],
    config: {},
    policyConfig: {},
  };
  for (const file of files) {
    const part = loadFile(file);
    world.resources.push(...part.resources);
    world.kubernetes.push(...part.kubernetes);
    Object.assign(world.config, part.config);
    Object.assign(world.policyConfig, part.policyConfig);
  }
  return world;
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
  // Pulumi names are unique per type: a repeated name (same name in two groups) gets a suffix.
  const names = new Set<string>();
  const add = (r: Omit<PolicyResourceInput, "name">, base: string) => {
    let name = base;
    for (let n = 2; names.has(`${r.type}::${name}`); n++) name = `${base}-${n}`;
    names.add(`${r.type}::${name}`);
    resources.push({ ...r, name });
  };
  for (const r of world.resources) {
    const token = tokenOfArmType(r.type);
    if (!token) ignored[r.type] = (ignored[r.type] ?? 0) + 1;
    else if (!armShapeOf(token)) observed.push(r);
    else add({ type: token, props: flattenArm(r), inputs: armInputsOf(token, r) }, r.name);
  }
  for (const o of world.kubernetes) {
    // kubectl prints `apps/v1` and `v1`; Pulumi's token is `kubernetes:apps/v1:Deployment`, `kubernetes:core/v1:Pod`.
    const group = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
    const base = o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
    add({ type: `kubernetes:${group}:${o.kind}`, props: o, inputs: kubernetesInputsOf(o) }, base);
  }
  if (observed.length) add({ type: OBSERVER_TYPE, props: { observed }, inputs: {} }, ENVIRONMENT_OBSERVER);
  return { resources, ignored };
}
