/**
 * The records the observer makes of what ARM does not return as a resource: an image's platforms,
 * a registry's admin credentials (password hashes only) and a service principal's credential end
 * dates (Microsoft Graph). Whichever reader reads Azure, the policies see these shapes.
 */
import { ArmRecord } from "../../core/stack/arm-types";
import { sha256 } from "../../core/identity/pull-secrets";

/** `<repository>:<tag>` or `<repository>@<digest>`: a reference's form after the login server. */
export function repositoryReference(repository: string, reference: string): string {
  return `${repository}${reference.includes(":") ? "@" : ":"}${reference}`;
}

/** An image's platforms as the record the policies read (`Microsoft.ContainerRegistry/registries/imagePlatforms`). */
export function imagePlatformsRecord(
  registryId: string,
  loginServer: string,
  repository: string,
  reference: string,
  platforms: string[],
): ArmRecord {
  const ref = repositoryReference(repository, reference);
  return {
    id: `${registryId}/imagePlatforms/${encodeURIComponent(ref)}`,
    name: ref,
    type: "Microsoft.ContainerRegistry/registries/imagePlatforms",
    properties: {
      image: `${loginServer}/${ref}`,
      ...(reference.includes(":") ? { digest: reference } : {}),
      platforms,
    },
  };
}

/** The admin-credentials record of a registry, from `listCredentials`' answer; passwords reduced to hashes. */
export function credentialsRecord(
  registryId: string,
  answer: { username?: unknown; passwords?: unknown },
): ArmRecord {
  const passwords = Array.isArray(answer.passwords) ? (answer.passwords as { value?: unknown }[]) : [];
  return {
    id: `${registryId}/credentials/admin`,
    name: "admin",
    type: "Microsoft.ContainerRegistry/registries/credentials",
    properties: {
      username: typeof answer.username === "string" ? answer.username : undefined,
      passwordHashes: passwords
        .map((p) => p.value)
        .filter((v) => typeof v === "string")
        .map(sha256),
    },
  };
}

/** Graph's password credentials, end dates kept and nothing else (Graph's `hint` is the secret's first characters). */
export function credentialEndDates(list: unknown, source: string): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return (list as Record<string, unknown>[]).map((c) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? undefined,
    startDateTime: c.startDateTime,
    endDateTime: c.endDateTime,
    source,
  }));
}
/** A Graph service principal (and its application) as the record the policies read. */
export function servicePrincipalRecord(
  sp: Record<string, unknown>,
  app?: Record<string, unknown>,
): ArmRecord {
  return {
    id: `/servicePrincipals/${String(sp.id)}`,
    name: String(sp.displayName ?? sp.appId),
    type: "Microsoft.Graph/servicePrincipals",
    properties: {
      objectId: sp.id,
      appId: sp.appId,
      displayName: sp.displayName,
      passwordCredentials: [
        ...credentialEndDates(sp.passwordCredentials, "servicePrincipal"),
        ...credentialEndDates(app?.passwordCredentials, "application"),
      ],
    },
  };
}
