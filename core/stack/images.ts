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

/**
 * Real Azure domains a couple of edits from an ACR suffix, never a misspelling of one: Azure
 * China's and Azure Government's (`mcr.azure.cn`, the Microsoft registry AKS pulls its system
 * images from there).
 */
const AZURE_DOMAINS = ["azure.cn", "azure.us"];

/** ACR registry names: 5 to 50 alphanumerics. */
export const REGISTRY_NAME = /^[a-zA-Z0-9]{5,50}$/;

/**
 * The first label of a domain-name-label scoped login server: the registry's name, `-`, and the
 * 16-character hash Azure generates (`contosodnl-e7ggejfuhzhgedc8.azurecr.io`).
 */
const DNL_LABEL = /^([a-z0-9]{5,50})-[a-z0-9]{16}$/;

/** A geo-replicated registry's regional endpoint: `<registry>.<region>.geo.azurecr.io`. */
const GEO_REGION = /^[a-z0-9]+$/;

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
  /**
   * `name.azurecr.io` and kin: a login server of the right form. `loginServer` is the host as
   * written (a regional or domain-name-label form included); `defaultLoginServer` the registry's
   * `<name>.<suffix>`, which a regional endpoint stands for.
   */
  | { kind: "loginServer"; registryName: string; loginServer: string; defaultLoginServer: string }
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
    const loginServer = (registryName: string) => ({
      kind: "loginServer" as const,
      registryName,
      loginServer: lower,
      defaultLoginServer: `${registryName}.${suffix}`,
    });
    // Regional endpoints of a geo-replicated registry, and domain-name-label scoped login servers.
    if (host.replace(/:\d+$/, "") === lower) {
      const nameOf = (label: string) => (REGISTRY_NAME.test(label) ? label : DNL_LABEL.exec(label)?.[1]);
      const geo = prefix.length === 3 && prefix[2] === "geo" && GEO_REGION.test(prefix[1]);
      const named = geo || prefix.length === 1 ? nameOf(prefix[0]) : undefined;
      if (named && (geo || named !== prefix[0])) return loginServer(named);
    }
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
    return loginServer(name);
  }
  // Misspelt suffixes: the last two labels within two edits of a real suffix ("azureacr.io",
  // "azurecr.com", "azurcr.io", "azurecr.oi").
  if (labels.length >= 2) {
    const tail = labels.slice(-2).join(".");
    if (AZURE_DOMAINS.includes(tail)) return { kind: "other" };
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
  /**
   * `port`: the host as written names one (`name.azurecr.io:443`): the kubelet's credential
   * provider matches images by host and port, so such an image gets no credentials.
   */
  | { kind: "ok"; loginServer?: string; port?: string }
  /** Not an Azure registry image: other policies' business. */
  | { kind: "notAzure" }
  /** The kubelet refuses the reference itself (InvalidImageName). */
  | { kind: "malformed"; reason: string }
  /** The host cannot be an ACR login server; `suggestion` is the image as probably meant. */
  | { kind: "brokenHost"; problem: string; suggestion?: string }
  /**
   * A well-formed login server of a registry neither in the stack nor in the allow-list; `nearest`,
   * when one is a couple of edits away, is the known login server it may have meant (a name that can
   * exist: per-region registries one or two letters apart are the norm), and `suggestion` the image
   * with it.
   */
  | {
      kind: "unknownRegistry";
      loginServer: string;
      registryName: string;
      nearest?: string;
      suggestion?: string;
    };

/** What an image reference says about the registry it pulls from, given the login servers known to exist. */
export function checkImage(image: string, knownServers: ReadonlySet<string>): ImageVerdict {
  const parsed = parseImage(image);
  if (!parsed.ok)
    return /azur/i.test(image) ? { kind: "malformed", reason: parsed.reason } : { kind: "notAzure" };
  const ref = parsed.ref;
  // A login server the stack or the allow-list knows exists, whatever its form.
  const written = ref.host.replace(/:\d+$/, "");
  const port = /:(\d+)$/.exec(ref.host)?.[1];
  const ok = (loginServer: string): ImageVerdict => ({ kind: "ok", loginServer, ...(port ? { port } : {}) });
  if (knownServers.has(written)) return ok(written);
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
      if (knownServers.has(host.loginServer)) return ok(host.loginServer);
      // A regional endpoint of a known registry is that registry.
      if (host.loginServer !== host.defaultLoginServer && knownServers.has(host.defaultLoginServer))
        return ok(host.defaultLoginServer);
      const nearest = closestRegistry(host.registryName, knownServers);
      return {
        kind: "unknownRegistry",
        loginServer: host.loginServer,
        registryName: host.registryName,
        ...(nearest ? { nearest, suggestion: withHost(nearest) } : {}),
      };
    }
  }
}

/** Whether an image pins what it runs: a digest, or a tag other than `latest`. */
export function pinning(ref: ImageReference): "digest" | "tag" | "latest" | "none" {
  if (ref.digest) return "digest";
  if (!ref.tag) return "none";
  return ref.tag === "latest" ? "latest" : "tag";
}

/**
 * Every form of an ACR login server: `<registry>.azurecr.io` (`.cn`, `.us`), a domain-name-label
 * scoped one (`<registry>-<16-character hash>.azurecr.io`) and a geo-replicated registry's regional
 * endpoint (`<registry>.<region>.geo.azurecr.io`).
 */
export const LOGIN_SERVER = /^[a-z0-9]{5,50}(?:-[a-z0-9]{16})?(?:\.[a-z0-9]+\.geo)?\.azurecr\.(?:io|cn|us)$/;
