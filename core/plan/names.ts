/**
 * The names the components give what they declare: deterministic, so every run declares the same
 * resources and AksAcrIntegration recognises, in what it observes, the fixes an earlier run made.
 */
import { createHash } from "node:crypto";

export { roleAssignmentName } from "./uuid";

/** The name VnetPeeringPair gives the peering from a VNet to `remote`: its own prefix, so it is never taken for a peering made by hand. */
export const peeringName = (remoteVnetName: string) => `aks-acr-guard-to-${remoteVnetName}`;

/** The name PrivateRegistryDns gives a zone's link to a VNet: its name and a short hash of its id. */
export function dnsLinkName(vnetKey: string, vnetName: string): string {
  return `${vnetName.toLowerCase()}-${createHash("sha256").update(vnetKey).digest("hex").slice(0, 8)}`;
}

/** The rule collection group HubFirewallRegistryRule declares for a component name. */
export const firewallGroupName = (componentName: string) => `${componentName}-acr`;

/** The DNS zone group PrivateRegistryDns gives a private endpoint: a later run knows it as its own. */
export const ZONE_GROUP_NAME = "aks-acr-guard";

/**
 * A child resource's name part for a value it is about (an ARM id, a record name): the last name
 * of an id, lower case; its place in the list only when it is not known when the program runs.
 */
export function childKey(value: unknown, index: number): string {
  if (typeof value !== "string" || value === "") return String(index);
  const last = value.replace(/\/+$/, "").split("/").pop() ?? value;
  return last.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
}

/** childKey for each of a list; where two would clash (same VNet name in two groups), a short hash of the value. */
export function childKeys(values: readonly unknown[]): string[] {
  const keys = values.map((v, i) => childKey(v, i));
  return keys.map((k, i) =>
    keys.indexOf(k) !== keys.lastIndexOf(k) && typeof values[i] === "string"
      ? `${k}-${createHash("sha256").update(String(values[i]).toLowerCase()).digest("hex").slice(0, 8)}`
      : k,
  );
}
