/**
 * The program's stack config, checked before anything is declared: every problem is reported at
 * once, each with its key, the value received and the form expected.
 */
import { ArmId, parseArmId, resourceType } from "./arm-id";
import { parseCidr } from "./cidr";
import { parseImage } from "./images";
import { GUID } from "./roles";

export interface ProgramConfig {
  cluster: ArmId;
  registry: ArmId;
  /** The pulling identity's object id, where the cluster's own record cannot give it. */
  principalObjectId?: string;
  firewallPolicy?: ArmId;
  privateDnsZone?: ArmId;
  /** Egress IPs the cluster's records do not show (e.g. an appliance's), admitted with its own. */
  egressIps: string[];
  /** Images of the registry whose platforms the observer reads (k8s-image-architecture). */
  images: string[];
  pullSecretNamespace?: string;
}

export class ProgramConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`aks-acr-guard: bad stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ProgramConfigError";
  }
}

const NS = "aks-acr-guard";
const form = (type: string) =>
  `/subscriptions/<subscription>/resourceGroups/<group>/providers/${type}/<name>`;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function readProgramConfig(get: (key: string) => string | undefined): ProgramConfig {
  const problems: string[] = [];
  const armId = (key: string, type: string, required: boolean): ArmId | undefined => {
    const raw = get(key);
    if (raw === undefined || raw === "") {
      if (required)
        problems.push(`${NS}:${key} is not set; expected ${form(type)} (pulumi config set ${key} <id>)`);
      return undefined;
    }
    const id = parseArmId(raw);
    if (!id || resourceType(id) !== type.toLowerCase()) {
      problems.push(`${NS}:${key} is ${JSON.stringify(raw)}; expected ${form(type)}`);
      return undefined;
    }
    return id;
  };
  const cluster = armId("clusterId", "Microsoft.ContainerService/managedClusters", true);
  const registry = armId("registryId", "Microsoft.ContainerRegistry/registries", true);
  const firewallPolicy = armId("firewallPolicyId", "Microsoft.Network/firewallPolicies", false);
  const privateDnsZone = armId("privateDnsZoneId", "Microsoft.Network/privateDnsZones", false);

  const principal = get("principalObjectId");
  if (principal !== undefined && !GUID.test(principal)) {
    problems.push(`${NS}:principalObjectId is ${JSON.stringify(principal)}; expected an object id (a GUID)`);
  }
  const egressIps = commaList(get("egressIps"));
  for (const ip of egressIps) {
    const c = parseCidr(ip);
    if (!c || c.prefix < 16) {
      problems.push(
        `${NS}:egressIps holds ${JSON.stringify(ip)}; expected comma-separated IPv4 addresses or ranges no wider than /16`,
      );
    }
  }
  const images = commaList(get("images"));
  for (const image of images) {
    const parsed = parseImage(image);
    if (!parsed.ok) {
      problems.push(
        `${NS}:images holds ${JSON.stringify(image)} (${parsed.reason}); expected comma-separated image references such as contosoacr.azurecr.io/shop/web:1.4.2`,
      );
    }
  }
  const ns = get("pullSecretNamespace");
  if (ns !== undefined && !DNS_LABEL.test(ns)) {
    problems.push(
      `${NS}:pullSecretNamespace is ${JSON.stringify(ns)}; expected a Kubernetes namespace name (a DNS label)`,
    );
  }
  if (problems.length > 0 || !cluster || !registry) throw new ProgramConfigError(problems);
  return {
    cluster,
    registry,
    principalObjectId: principal,
    firewallPolicy,
    privateDnsZone,
    egressIps,
    images,
    pullSecretNamespace: ns,
  };
}

/** A comma-separated config value as its items, blanks dropped. */
function commaList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
