/**
 * `kubernetes.io/dockerconfigjson` pull secrets (Microsoft's article, cause 1, solutions 5 and 6):
 * read them, and judge each Azure registry entry against the registry's admin account or the
 * service principal it was built from. Secret values are compared as SHA-256 hashes and never
 * returned.
 */
import { createHash } from "node:crypto";
import { classifyHost } from "../stack/images";
import { PrincipalRef, RegistryNode, StackResource, Topology } from "../stack/topology";
import { GUID } from "./roles";
import { isUnknown, Known, known, read, readBool, readString, sameText, UNKNOWN } from "../stack/values";

export interface PullSecretEntry {
  server: string;
  username?: string;
  /** SHA-256 of the password, `sha256:<hex>`: the only form the password leaves this module in. */
  passwordHash?: string;
  /** For a Microsoft Entra token (`az acr login --expose-token`): when it expires, from its `exp` claim. */
  tokenExpires?: Date;
}

/** The username of a pull secret built from a Microsoft Entra token (`az acr login --expose-token`). */
export const ENTRA_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

/** The `exp` claim of a JWT, without verifying it (the expiry is not a secret; the token is). */
function jwtExpiry(token: string): Date | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

export type ReadSecret =
  | { entries: PullSecretEntry[] }
  /**
   * Why the kubelet cannot use it; `fatal` where it cannot even parse it (not JSON, `auths` not an
   * object, an `auth` that is not base64 of username:password): then it pulls no image of the pod
   * at all; otherwise it skips the secret and tries its own credential.
   */
  | { malformed: string; fatal: boolean }
  | typeof UNKNOWN
  | undefined;

export const sha256 = (s: string) => "sha256:" + createHash("sha256").update(s, "utf8").digest("hex");

function decodeBase64(s: string): string | undefined {
  const clean = s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return undefined;
  return Buffer.from(clean, "base64").toString("utf8");
}

export function isPullSecret(res: StackResource): boolean {
  return (
    /^kubernetes:core\/v1:Secret(Patch)?$/.test(res.type) &&
    read(res.props, "type") === "kubernetes.io/dockerconfigjson"
  );
}

/** The secret's registry entries; `malformed` says why the kubelet cannot use it (without its content). */
export function readPullSecret(res: StackResource): ReadSecret {
  if (!isPullSecret(res)) return undefined;
  const plain = read(res.props, "stringData", ".dockerconfigjson");
  const encoded = read(res.props, "data", ".dockerconfigjson");
  if (isUnknown(plain) || (plain === undefined && isUnknown(encoded))) return UNKNOWN;
  let text: string | undefined;
  if (typeof plain === "string") text = plain;
  else if (typeof encoded === "string") {
    text = decodeBase64(encoded);
    if (text === undefined) return { malformed: "data[.dockerconfigjson] is not valid base64", fatal: false };
  } else return { malformed: "it has no .dockerconfigjson key", fatal: false };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { malformed: ".dockerconfigjson is not JSON", fatal: true };
  }
  const auths = read(json, "auths");
  if (auths === null || typeof auths !== "object" || Array.isArray(auths))
    return {
      malformed: ".dockerconfigjson has no auths object",
      fatal: auths !== undefined && auths !== null,
    };
  const entries: PullSecretEntry[] = [];
  for (const [server, v] of Object.entries(auths as Record<string, unknown>)) {
    let username = read(v, "username");
    let password = read(v, "password");
    const auth = read(v, "auth");
    if ((typeof username !== "string" || typeof password !== "string") && typeof auth === "string") {
      const decoded = decodeBase64(auth);
      const colon = decoded?.indexOf(":") ?? -1;
      if (decoded === undefined || colon < 0)
        return { malformed: `the auth of ${server} is not base64 of username:password`, fatal: true };
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    // A recording keeps no password: capture-world.sh writes its hash, and an Entra token's expiry.
    const recordedHash = read(v, "passwordHash");
    const recordedExpiry = read(v, "tokenExpires");
    const tokenExpires =
      username === ENTRA_TOKEN_USERNAME && typeof password === "string"
        ? jwtExpiry(password)
        : typeof recordedExpiry === "string" && !Number.isNaN(Date.parse(recordedExpiry))
          ? new Date(recordedExpiry)
          : undefined;
    entries.push({
      server: server
        .replace(/^https?:\/\//, "")
        .replace(/\/.*$/, "")
        .toLowerCase(),
      username: typeof username === "string" ? username : undefined,
      passwordHash:
        typeof password === "string"
          ? sha256(password)
          : typeof recordedHash === "string" && /^sha256:[0-9a-f]{64}$/i.test(recordedHash)
            ? recordedHash.toLowerCase()
            : undefined,
      ...(tokenExpires ? { tokenExpires } : {}),
    });
  }
  return { entries };
}

export type EntryProblem =
  | { kind: "adminDisabled" }
  | { kind: "expiredEntraToken"; end: Date }
  | { kind: "unknownToken"; username: string; tokens: string[] }
  | { kind: "tokenDisabled"; token: string }
  | { kind: "tokenExpired"; token: string; end: Date }
  | { kind: "stalePassword" }
  | { kind: "unknownServicePrincipal"; clientId: string }
  | { kind: "expiredServicePrincipal"; clientId: string; end: Date }
  | { kind: "servicePrincipalCannotPull"; clientId: string };

/** The admin password hashes the observer recorded for a registry (`registries/credentials` records). */
function adminPasswordHashes(topo: Topology, reg: RegistryNode): Known<string[]> | undefined {
  for (const rec of topo.byKind.get("registryCredentials") ?? []) {
    const id = readString(rec.props, "id");
    const ofRegistry =
      (known(id) && reg.id && id.toLowerCase().startsWith(reg.id.key + "/")) ||
      sameText(readString(rec.props, "name"), reg.name) === true;
    if (!ofRegistry) continue;
    const hashes = read(rec.props, "passwordHashes");
    if (isUnknown(hashes)) return UNKNOWN;
    if (Array.isArray(hashes))
      return hashes.filter((h): h is string => typeof h === "string").map((h) => h.toLowerCase());
  }
  return undefined;
}

export interface EntryContext {
  /** End dates of a service principal's credentials by client id; undefined when nothing shows them. */
  servicePrincipalEnds(clientId: string): Known<Date[]> | undefined;
  canPull(principal: PrincipalRef, reg: RegistryNode): Known<boolean>;
  /** Whether the observer recorded service principals (so one it did not record does not exist). */
  observedServicePrincipals: boolean;
}

/** The repository-scoped tokens of a registry the stack declares or the observer recorded. */
function tokensOf(topo: Topology, reg: RegistryNode): StackResource[] {
  return (topo.byKind.get("registryToken") ?? []).filter((t) => {
    const id = readString(t.props, "id");
    if (known(id) && reg.id) return id.toLowerCase().startsWith(reg.id.key + "/tokens/");
    return sameText(readString(t.props, "registryName"), reg.name) === true;
  });
}

/**
 * What is wrong with one registry entry of a pull secret; UNKNOWN while a deciding value is. The
 * username says what the secret was built from: `00000000-0000-0000-0000-000000000000`, a Microsoft
 * Entra token; another GUID, a service principal's client id; the registry's name, its admin
 * account; anything else, a repository-scoped token (`az acr token create`), judged only against
 * the tokens the stack declares or the observer recorded.
 */
export function judgeEntry(
  topo: Topology,
  entry: PullSecretEntry,
  reg: RegistryNode,
  ctx: EntryContext,
  now: Date,
): Known<EntryProblem[]> {
  const problems: EntryProblem[] = [];
  const username = entry.username ?? "";
  if (username === ENTRA_TOKEN_USERNAME) {
    if (entry.tokenExpires && entry.tokenExpires <= now)
      problems.push({ kind: "expiredEntraToken", end: entry.tokenExpires });
    return problems;
  }
  if (GUID.test(username)) {
    const sp = [...topo.servicePrincipalsByUrn.values()].find((s) => sameText(s.clientId, username) === true);
    if (!sp) {
      if (ctx.observedServicePrincipals)
        problems.push({ kind: "unknownServicePrincipal", clientId: username });
      return problems;
    }
    const ends = ctx.servicePrincipalEnds(username);
    if (ends === UNKNOWN) return UNKNOWN;
    if (ends && ends.length > 0 && ends.every((e) => e <= now)) {
      problems.push({
        kind: "expiredServicePrincipal",
        clientId: username,
        end: new Date(Math.max(...ends.map((e) => e.getTime()))),
      });
    }
    const pulls = ctx.canPull({ objectId: sp.objectId, urns: [sp.res.urn], label: sp.label }, reg);
    if (pulls === UNKNOWN) return UNKNOWN;
    if (pulls === false) problems.push({ kind: "servicePrincipalCannotPull", clientId: username });
    return problems;
  }
  if (!known(reg.name)) return UNKNOWN;
  if (username.toLowerCase() !== reg.name.toLowerCase()) return judgeToken(topo, username, reg, now);
  // Built from the admin account: the username is the registry's name.
  const admin = readBool(reg.res.props, "adminUserEnabled");
  if (admin === UNKNOWN) return UNKNOWN;
  if (admin !== true) problems.push({ kind: "adminDisabled" });
  const hashes = adminPasswordHashes(topo, reg);
  if (hashes === UNKNOWN) return UNKNOWN;
  if (admin === true && hashes && entry.passwordHash && !hashes.includes(entry.passwordHash))
    problems.push({ kind: "stalePassword" });
  return problems;
}

/** A repository-scoped token's entry: nothing to say unless the registry's tokens are known. */
function judgeToken(topo: Topology, username: string, reg: RegistryNode, now: Date): Known<EntryProblem[]> {
  const tokens = tokensOf(topo, reg);
  if (tokens.length === 0) return [];
  const names = tokens.map((t) => readString(t.props, "name"));
  if (names.some((n) => n === UNKNOWN)) return UNKNOWN;
  const token = tokens.find((t) => sameText(readString(t.props, "name"), username) === true);
  if (!token) return [{ kind: "unknownToken", username, tokens: names.filter(known) as string[] }];
  const status = readString(token.props, "status");
  if (status === UNKNOWN) return UNKNOWN;
  if (status?.toLowerCase() === "disabled") return [{ kind: "tokenDisabled", token: username }];
  const passwords = read(token.props, "credentials", "passwords");
  if (isUnknown(passwords)) return UNKNOWN;
  const expiries = (Array.isArray(passwords) ? passwords : [])
    .map((p) => read(p, "expiry"))
    .map((e) => (typeof e === "string" ? new Date(e) : undefined));
  // A password without an expiry never expires; one with an unreadable date decides nothing.
  if (expiries.length > 0 && expiries.every((e) => e && !Number.isNaN(e.getTime()) && e <= now)) {
    const end = new Date(Math.max(...expiries.map((e) => e!.getTime())));
    return [{ kind: "tokenExpired", token: username, end }];
  }
  return [];
}

/** Whether a pull-secret server is an ACR login server, and its registry in the stack. */
export function registryOfServer(
  byServer: ReadonlyMap<string, RegistryNode>,
  server: string,
): RegistryNode | undefined {
  const host = classifyHost(server);
  return host.kind === "loginServer" ? byServer.get(host.loginServer) : undefined;
}
