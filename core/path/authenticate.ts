/**
 * The authenticate step for one image: whether the kubelet sends credentials with it. Its credential
 * provider (acr-credential-provider) matches an image against patterns such as `*.azurecr.io` by
 * host label count and port: an image written `name.azurecr.io:443/...` matches none, gets no
 * credentials and pulls anonymously, which the registry refuses with 401 unless it allows anonymous
 * pull (Standard and Premium).
 */
import type { ImageVerdict } from "../images";
import { anonymousPull } from "../pull-access";
import { KUBELET_401 } from "../remediation";
import type { RegistryNode } from "../topology";
import { UNKNOWN } from "../values";

export interface CredentialMatch {
  verdict: "pass" | "fail" | "unknown";
  detail: string;
  /** Where it fails: why, and the fix (the caller names the workload). */
  problem?: string;
  pending?: string;
}

export function credentialMatch(
  image: string,
  v: ImageVerdict,
  registry: RegistryNode | undefined,
): CredentialMatch {
  if (v.kind !== "ok" || !v.port || !v.loginServer)
    return { verdict: "pass", detail: "the kubelet's credential provider matches the image's host" };
  const anonymous = registry ? anonymousPull(registry) : false;
  if (anonymous === true)
    return {
      verdict: "pass",
      detail: `no credentials for port ${v.port}, but the registry allows anonymous pull`,
    };
  if (anonymous === UNKNOWN)
    return {
      verdict: "unknown",
      detail: `no credentials for port ${v.port}; whether the registry allows anonymous pull is not known yet`,
      pending: `${registry!.res.name}: anonymousPullEnabled`,
    };
  const fixed = v.loginServer + image.slice(image.indexOf("/"));
  return {
    verdict: "fail",
    detail: `the image names port ${v.port}: the credential provider sends no credentials, and the pull is anonymous`,
    problem:
      `${KUBELET_401}: the image names its registry with a port ('${v.loginServer}:${v.port}'), and the kubelet's ` +
      "credential provider matches images against patterns such as *.azurecr.io by host and port, so it sends no " +
      "credentials and the registry refuses the anonymous pull, whatever roles the kubelet identity holds.\n" +
      `Fix: set the image to "${fixed}" (no port: the registry answers on 443).`,
  };
}
