/**
 * UUID version 5 (RFC 9562, SHA-1 of a namespace and a name). Role assignment names must be GUIDs
 * and must not change between runs, or every `pulumi up` replaces the assignment.
 */
import { createHash } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The namespace of every name aks-acr-guard derives. */
export const AKS_ACR_GUARD_NAMESPACE = "5e0a3c1d-2f4b-4d6a-9c8e-7b1f0a2d3c4e";

export function uuidV5(name: string, namespace: string = AKS_ACR_GUARD_NAMESPACE): string {
  if (!UUID.test(namespace)) throw new Error(`namespace "${namespace}" is not a UUID`);
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The name of the role assignment granting `roleGuid` to `principalId` at `scope`: the same on every
 * run, whatever the case ARM returns the ids in.
 */
export function roleAssignmentName(scope: string, principalId: string, roleGuid: string): string {
  return uuidV5([scope, principalId, roleGuid].map((s) => s.toLowerCase()).join("|"));
}
