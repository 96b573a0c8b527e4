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
