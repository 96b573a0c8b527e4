/**
 * The program's stack config, checked before anything is declared: every problem is reported at
 * once, each with its key, the value received and the form expected.
 */
import { ArmId, parseArmId, resourceType } from "./arm-id";
import { GUID } from "./roles";

export interface ProgramConfig {
  cluster: ArmId;
  registry: ArmId;
  /** The pulling identity's object id, where the cluster's own record cannot give it. */
  principalObjectId?: string;
  abacRepositoryPermissions: boolean;
}

export class ProgramConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`aks-acr-guard: bad stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ProgramConfigError";
  }
}

const NS = "aks-acr-guard";
const CLUSTER_FORM =
  "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>";
const REGISTRY_FORM =
  "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>";

export function readProgramConfig(get: (key: string) => string | undefined): ProgramConfig {
  const problems: string[] = [];
  const armId = (key: string, type: string, form: string): ArmId | undefined => {
    const raw = get(key);
    if (raw === undefined || raw === "") {
      problems.push(`${NS}:${key} is not set; expected ${form} (pulumi config set ${key} <id>)`);
      return undefined;
    }
    const id = parseArmId(raw);
    if (!id || resourceType(id) !== type) {
      problems.push(`${NS}:${key} is ${JSON.stringify(raw)}; expected ${form}`);
      return undefined;
    }
    return id;
  };
  const cluster = armId("clusterId", "microsoft.containerservice/managedclusters", CLUSTER_FORM);
  const registry = armId("registryId", "microsoft.containerregistry/registries", REGISTRY_FORM);

  const principal = get("principalObjectId");
  if (principal !== undefined && !GUID.test(principal)) {
    problems.push(`${NS}:principalObjectId is ${JSON.stringify(principal)}; expected an object id (a GUID)`);
  }
  const abac = get("abacRepositoryPermissions");
  if (abac !== undefined && abac !== "true" && abac !== "false") {
    problems.push(`${NS}:abacRepositoryPermissions is ${JSON.stringify(abac)}; expected true or false`);
  }
  if (problems.length > 0 || !cluster || !registry) throw new ProgramConfigError(problems);
  return { cluster, registry, principalObjectId: principal, abacRepositoryPermissions: abac === "true" };
}

/** The object id the kubelet pulls with, from the cluster as ARM returns it; throws where it cannot tell. */
export function kubeletObjectIdOf(cluster: {
  name?: string;
  identityProfile?: Record<string, { objectId?: string } | undefined>;
  servicePrincipalProfile?: { clientId?: string };
}): string {
  const objectId = cluster.identityProfile?.kubeletidentity?.objectId;
  if (objectId) return objectId;
  const clientId = cluster.servicePrincipalProfile?.clientId;
  if (clientId && clientId.toLowerCase() !== "msi") {
    throw new ProgramConfigError([
      `cluster '${cluster.name}' pulls with service principal ${clientId}, whose object id its record does not carry: ` +
        `set ${NS}:principalObjectId to $(az ad sp show --id ${clientId} --query id -o tsv)`,
    ]);
  }
  throw new ProgramConfigError([
    `cluster '${cluster.name}' shows no kubelet identity (identityProfile.kubeletidentity.objectId): set ${NS}:principalObjectId`,
  ]);
}
