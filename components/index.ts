export { AcrPullAccess, AcrPullAccessArgs } from "./acr-pull-access";
export { HubFirewallRegistryRule, HubFirewallRegistryRuleArgs } from "./hub-firewall-registry-rule";
export { PrivateRegistryDns, PrivateRegistryDnsArgs } from "./private-registry-dns";
export { VnetPeeringPair, VnetPeeringPairArgs } from "./vnet-peering-pair";
