/**
 * A recorded environment ("world"): ARM resource JSON exactly as Azure Resource Graph returns it
 * (`id`, `name`, `type`, `location`, `sku`, `identity`, `properties`, ...), plus stack config.
 * Read with every mistake reported as the file, the JSON path and what was expected.
 */
import * as fs from "node:fs";
import { parseArmId } from "../core/arm-id";
import { flattenArm, tokenOfArmType } from "../core/arm-types";
import { PolicyResourceInput } from "./resources";

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface World {
  file: string;
  resources: ArmResource[];
  config: Record<string, string>;
}

export class WorldError extends Error {
  constructor(file: string, at: string, problem: string) {
    super(`${file}: ${at}: ${problem}`);
    this.name = "WorldError";
  }
}

export function loadWorld(file: string): World {
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WorldError(file, "$", `is not JSON (${(e as Error).message})`);
  }
  // `az graph query -o json` prints the rows under `data`; a bare array is a list of resources.
  const root = Array.isArray(json) ? { resources: json } : (json as Record<string, unknown>);
  if (root === null || typeof root !== "object")
    throw new WorldError(file, "$", "expected an object with a `resources` array");
  const list = Array.isArray(root.resources)
    ? root.resources
    : Array.isArray(root.data)
      ? root.data
      : undefined;
  if (!list) throw new WorldError(file, "$.resources", "expected an array of ARM resources");
  const resources = list.map((r, i) => checkResource(file, `$.resources[${i}]`, r));
  const config: Record<string, string> = {};
  const rawConfig = root.config ?? {};
  if (rawConfig === null || typeof rawConfig !== "object" || Array.isArray(rawConfig)) {
    throw new WorldError(file, "$.config", "expected an object of string values");
  }
  for (const [k, v] of Object.entries(rawConfig)) {
    if (typeof v !== "string")
      throw new WorldError(file, `$.config.${k}`, `expected a string, got ${JSON.stringify(v)}`);
    config[k] = v;
  }
  return { file, resources, config };
}

function checkResource(file: string, at: string, r: unknown): ArmResource {
  if (r === null || typeof r !== "object" || Array.isArray(r))
    throw new WorldError(file, at, "expected an ARM resource object");
  const o = r as Record<string, unknown>;
  for (const key of ["id", "name", "type"]) {
    if (typeof o[key] !== "string" || o[key] === "")
      throw new WorldError(file, `${at}.${key}`, "expected a non-empty string");
  }
  if (!parseArmId(o.id)) {
    throw new WorldError(
      file,
      `${at}.id`,
      `${JSON.stringify(o.id)} is not an ARM id; expected /subscriptions/<subscription>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>`,
    );
  }
  if (o.properties !== undefined && (o.properties === null || typeof o.properties !== "object")) {
    throw new WorldError(file, `${at}.properties`, "expected an object");
  }
  return o as ArmResource;
}

/** The world's resources as a stack policy would see them; types this package does not read are counted. */
export function stackOf(world: World): { resources: PolicyResourceInput[]; ignored: Record<string, number> } {
  const resources: PolicyResourceInput[] = [];
  const ignored: Record<string, number> = {};
  const names = new Set<string>();
  for (const r of world.resources) {
    const token = tokenOfArmType(r.type);
    if (!token) {
      ignored[r.type] = (ignored[r.type] ?? 0) + 1;
      continue;
    }
    let name = r.name;
    for (let n = 2; names.has(`${token}::${name}`); n++) name = `${r.name}-${n}`;
    names.add(`${token}::${name}`);
    resources.push({ type: token, name, props: flattenArm(r) });
  }
  return { resources, ignored };
}
