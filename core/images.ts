/**
 * Container image references (the grammar of github.com/distribution/reference, which containerd
 * and the kubelet use) and what they say about Azure Container Registry login servers.
 */

export interface ImageReference {
  raw: string;
  /** The registry host as written (`docker.io` when the reference names none). */
  host: string;
  /** Whether the reference names its registry host explicitly. */
  explicitHost: boolean;
  repository: string;
  tag?: string;
  digest?: string;
}

export type ParsedImage = { ok: true; ref: ImageReference } | { ok: false; reason: string };

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;

const parsedImages = new Map<string, ParsedImage>();

/** Parses an image reference as the kubelet does; a reason when it would refuse it (InvalidImageName). */
export function parseImage(raw: string): ParsedImage {
  // Several policies read the same images in one run: parse each once (a pure function; bounded cache).
  let parsed = parsedImages.get(raw);
  if (!parsed) {
    if (parsedImages.size >= 50_000) parsedImages.clear();
    parsedImages.set(raw, (parsed = parseImageUncached(raw)));
  }
  return parsed;
}

function parseImageUncached(raw: string): ParsedImage {
  if (raw.length === 0) return { ok: false, reason: "the image is empty" };
  if (raw !== raw.trim() || /\s/.test(raw)) return { ok: false, reason: "the image contains white space" };
  if (raw.length > 4096) return { ok: false, reason: "the image is longer than 4,096 characters" };
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: `"${digest}" is not a digest (algorithm:hex)` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: `"${tag}" is not a valid tag` };
  }
  const parts = rest.split("/");
  const first = parts[0];
  const explicitHost =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const host = explicitHost ? first : "docker.io";
  const path = explicitHost ? parts.slice(1) : parts;
  if (explicitHost && !HOST.test(first)) return { ok: false, reason: `"${first}" is not a registry host` };
  if (path.length === 0 || path.some((p) => p.length === 0))
    return { ok: false, reason: "the repository path has an empty part" };
  for (const p of path) {
    if (!PATH_COMPONENT.test(p)) {
      return {
        ok: false,
        reason:
          p.toLowerCase() !== p
            ? `repository "${path.join("/")}" must be lower case`
            : `"${p}" is not a valid repository name part`,
      };
    }
  }
  return { ok: true, ref: { raw, host, explicitHost, repository: path.join("/"), tag, digest } };
}

/** The public ACR login-server suffixes (Azure public cloud, Azure China, Azure Government). */
export const ACR_SUFFIXES = ["azurecr.io", "azurecr.cn", "azurecr.us"];

/** ACR registry names: 5 to 50 alphanumerics. */
export const REGISTRY_NAME = /^[a-zA-Z0-9]{5,50}$/;

export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}

export type AcrHost =
  /** `name.azurecr.io` and kin: a login server of the right form. */
  | { kind: "loginServer"; registryName: string; loginServer: string }
  /** Looks like ACR but cannot be one; `problem` says why, `suggestion` what was meant. */
  | { kind: "broken"; problem: string; suggestion?: string }
  /** Not an Azure registry host. */
  | { kind: "other" };

/**
 * What a registry host says about ACR. Catches the misspellings Microsoft's article names
 * (`azureacr.io` for `azurecr.io`) and their kin, a missing registry name, upper case, and the
 * private-link name, which the registry's certificate does not cover.
 */
export function classifyHost(host: string): AcrHost {
  const lower = host.toLowerCase().replace(/:\d+$/, "");
  const labels = lower.split(".");
  for (const suffix of ACR_SUFFIXES) {
    if (lower === suffix)
      return { kind: "broken", problem: `"${host}" names no registry (expected <registry>.${suffix})` };
    if (!lower.endsWith("." + suffix)) continue;
    const prefix = labels.slice(0, -2);
    if (prefix.length === 2 && prefix[1] === "privatelink") {
      return {
        kind: "broken",
        problem: `"${host}" is the private-link DNS name, which the registry's TLS certificate does not cover: pulls fail with "x509: certificate is valid for ... not ${host}"`,
        suggestion: `${prefix[0]}.${suffix}`,
      };
    }
    if (prefix.length === 2 && /^[a-z0-9]+$/.test(prefix[0]) && /^[a-z0-9-]+$/.test(prefix[1])) {
      // NAME.REGION.data.azurecr.io style hosts are data endpoints, not login servers.
      return {
        kind: "broken",
        problem: `"${host}" is not a login server (expected <registry>.${suffix})`,
        suggestion: `${prefix[0]}.${suffix}`,
      };
    }
    if (prefix.length !== 1)
      return { kind: "broken", problem: `"${host}" is not a login server (expected <registry>.${suffix})` };
    const name = prefix[0];
    if (!REGISTRY_NAME.test(name)) {
      return {
        kind: "broken",
        problem: `"${name}" cannot be a registry name (5 to 50 letters and digits, no '-', '_' or '.')`,
        suggestion: REGISTRY_NAME.test(name.replace(/[-_]/g, ""))
          ? `${name.replace(/[-_]/g, "")}.${suffix}`
          : undefined,
      };
    }
    if (host.replace(/:\d+$/, "") !== lower) {
      return {
        kind: "broken",
        problem: `"${host}" is not lower case: login servers are, and the kubelet's ACR credential provider matches them as written`,
        suggestion: lower,
      };
    }
    return { kind: "loginServer", registryName: name, loginServer: lower };
  }
  // Misspelt suffixes: the last two labels within two edits of a real suffix ("azureacr.io",
  // "azurecr.com", "azurcr.io", "azurecr.oi").
  if (labels.length >= 2) {
    const tail = labels.slice(-2).join(".");
    for (const suffix of ACR_SUFFIXES) {
      if (editDistance(tail, suffix, 2) <= 2 && tail.includes("az")) {
        const name = labels.slice(0, -2).join(".");
        return {
          kind: "broken",
          problem: `"${tail}" is not an Azure registry domain: did you mean ${suffix}? The name does not resolve ("no such host")`,
          suggestion: name ? `${name}.${suffix}` : undefined,
        };
      }
    }
  }
  return { kind: "other" };
}

/** The closest known login server within two edits of `registryName`'s, for a "did you mean". */
export function closestRegistry(registryName: string, known: Iterable<string>): string | undefined {
  let best: { server: string; d: number } | undefined;
  for (const server of known) {
    const name = server.split(".")[0];
    if (name === registryName) return undefined;
    const d = editDistance(registryName, name, 2);
    if (d <= 2 && (!best || d < best.d)) best = { server, d };
  }
  return best?.server;
}

export type ImageVerdict =
  | { kind: "ok"; loginServer?: string }
  /** Not an Azure registry image: other policies' business. */
  | { kind: "notAzure" }
  /** The kubelet refuses the reference itself (InvalidImageName). */
  | { kind: "malformed"; reason: string }
  /** The host cannot be an ACR login server; `suggestion` is the image as probably meant. */
  | { kind: "brokenHost"; problem: string; suggestion?: string }
  /** A well-formed login server of no known registry, a couple of edits from one that is known. */
  | { kind: "didYouMean"; loginServer: string; suggestion: string; known: string }
  /** A well-formed login server of a registry neither in the stack nor in the allow-list. */
  | { kind: "unknownRegistry"; loginServer: string; registryName: string };

/** What an image reference says about the registry it pulls from, given the login servers known to exist. */
export function checkImage(image: string, knownServers: ReadonlySet<string>): ImageVerdict {
  const parsed = parseImage(image);
  if (!parsed.ok)
    return /azur/i.test(image) ? { kind: "malformed", reason: parsed.reason } : { kind: "notAzure" };
  const ref = parsed.ref;
  const host = classifyHost(ref.host);
  const withHost = (server: string) => server + image.slice(ref.host.length);
  switch (host.kind) {
    case "other":
      return { kind: "notAzure" };
    case "broken":
      return {
        kind: "brokenHost",
        problem: host.problem,
        suggestion: host.suggestion && withHost(host.suggestion),
      };
    case "loginServer": {
      if (knownServers.has(host.loginServer)) return { kind: "ok", loginServer: host.loginServer };
      const close = closestRegistry(host.registryName, knownServers);
      if (close)
        return {
          kind: "didYouMean",
          loginServer: host.loginServer,
          suggestion: withHost(close),
          known: close,
        };
      return { kind: "unknownRegistry", loginServer: host.loginServer, registryName: host.registryName };
    }
  }
}

/** Whether an image pins what it runs: a digest, or a tag other than `latest`. */
export function pinning(ref: ImageReference): "digest" | "tag" | "latest" | "none" {
  if (ref.digest) return "digest";
  if (!ref.tag) return "none";
  return ref.tag === "latest" ? "latest" : "tag";
}

export const LOGIN_SERVER = /^[a-z0-9]{5,50}\.azurecr\.(io|cn|us)$/;
