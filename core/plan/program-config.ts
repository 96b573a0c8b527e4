/**
 * The program's stack config, checked before anything is declared: every problem is reported at
 * once, each with its key, the value received and the form expected.
 */
import { ArmId, parseArmId, resourceType } from "../stack/arm-id";
import { parseCidr } from "../network/cidr";
import { parseImage } from "../stack/images";
import { GUID } from "../identity/roles";

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
  /**
   * What the pull secret pulls with instead of the admin user: `pullSecretUsername` (a service
   * principal's client id, or a repository-scoped token's name) and `pullSecretPassword` (a secret).
   */
  pullSecretCredentials?:
    | { servicePrincipalClientId: string; servicePrincipalSecret: string }
    | { tokenName: string; tokenPassword: string };
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
/** An ACR token's name, as the registry API takes it. */
const TOKEN_NAME = /^[a-zA-Z0-9-]{5,50}$/;

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
  // Credentials for the pull secret: a service principal's client id or a token's name, and its
  // password (never echoed in a problem).
  const username = get("pullSecretUsername");
  const password = get("pullSecretPassword");
  let pullSecretCredentials: ProgramConfig["pullSecretCredentials"];
  if ((username === undefined) !== (password === undefined)) {
    problems.push(
      `${NS}:pullSecretUsername and ${NS}:pullSecretPassword go together; set both (the password with pulumi config set --secret), or neither to use the admin user`,
    );
  } else if (username !== undefined && password !== undefined) {
    if (ns === undefined) {
      problems.push(
        `${NS}:pullSecretUsername is set but ${NS}:pullSecretNamespace is not; the credentials are for a pull secret in that namespace`,
      );
    }
    if (GUID.test(username)) {
      pullSecretCredentials = { servicePrincipalClientId: username, servicePrincipalSecret: password };
    } else if (TOKEN_NAME.test(username)) {
      pullSecretCredentials = { tokenName: username, tokenPassword: password };
    } else {
      problems.push(
        `${NS}:pullSecretUsername is ${JSON.stringify(username)}; expected a service principal's client id (a GUID) or a repository-scoped token's name (5 to 50 letters, digits or hyphens)`,
      );
    }
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
    pullSecretCredentials,
  };
}

/** A comma-separated config value as its items, blanks dropped. */
function commaList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
