/**
 * An image's platforms from its manifest in a registry's data plane: ACR's token exchange (an ARM
 * token for a refresh token, that for a pull-scoped access token), then the manifest or manifest
 * list, and for a single image its config blob. No token is kept.
 */
import { ArmRecord } from "../../core/stack/arm-types";
import { imagePlatformsRecord } from "./records";
import { Fetch } from "./reader";

/** The media types of a manifest and of a manifest list (OCI and Docker). */
const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** `os/architecture[/variant]` of a manifest list entry or an image config; attestation entries (`unknown/unknown`) left out. */
function platformOf(p: unknown): string | undefined {
  if (!p || typeof p !== "object") return undefined;
  const { os, architecture, variant } = p as Record<string, unknown>;
  if (typeof os !== "string" || typeof architecture !== "string" || os === "unknown") return undefined;
  return [os, architecture, ...(typeof variant === "string" && variant ? [variant] : [])]
    .join("/")
    .toLowerCase();
}

/**
 * Where a registry's data plane answers: `https://<login server>`, or the template in
 * AKS_ACR_GUARD_REGISTRY_ENDPOINT (`{loginServer}` replaced), for a proxy in front of registries
 * or a test double.
 */
export function registryEndpoint(loginServer: string): string {
  const template = process.env.AKS_ACR_GUARD_REGISTRY_ENDPOINT;
  return template
    ? template.replace("{loginServer}", loginServer).replace(/\/+$/, "")
    : `https://${loginServer}`;
}

/**
 * The platforms `<loginServer>/<repository>` at `reference` offers, as an imagePlatforms record;
 * undefined when the image, the manifest's platform or the access is missing.
 */
export async function readImagePlatforms(
  fetchImpl: Fetch,
  armToken: () => Promise<string>,
  registryId: string,
  loginServer: string,
  repository: string,
  reference: string,
): Promise<ArmRecord | undefined> {
  // ACR's token exchange: the ARM token for a refresh token, that for a pull-scoped access token.
  const base = registryEndpoint(loginServer);
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const post = async (path: string, fields: Record<string, string>) => {
    const res = await fetchImpl(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: form(fields),
    });
    return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
  };
  const exchanged = await post("/oauth2/exchange", {
    grant_type: "access_token",
    service: loginServer,
    access_token: await armToken(),
  });
  const refresh = exchanged?.refresh_token;
  if (typeof refresh !== "string") return undefined;
  const issued = await post("/oauth2/token", {
    grant_type: "refresh_token",
    service: loginServer,
    scope: `repository:${repository}:pull`,
    refresh_token: refresh,
  });
  const access = issued?.access_token;
  if (typeof access !== "string") return undefined;
  const get = async (path: string, accept: string) => {
    const res = await fetchImpl(`${base}${path}`, {
      method: "GET",
      headers: { Authorization: `Bearer ${access}`, Accept: accept },
    });
    return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
  };
  const manifest = await get(`/v2/${repository}/manifests/${reference}`, MANIFEST_ACCEPT);
  if (!manifest) return undefined;
  let platforms: string[];
  if (Array.isArray(manifest.manifests)) {
    platforms = manifest.manifests
      .map((m) => platformOf((m as Record<string, unknown>).platform))
      .filter((p): p is string => !!p);
  } else {
    // One image: its platform is in its config blob.
    const digest = (manifest.config as Record<string, unknown> | undefined)?.digest;
    const config =
      typeof digest === "string"
        ? await get(`/v2/${repository}/blobs/${digest}`, "application/json")
        : undefined;
    const one = platformOf(config);
    if (!one) return undefined;
    platforms = [one];
  }
  return imagePlatformsRecord(registryId, loginServer, repository, reference, [...new Set(platforms)]);
}
