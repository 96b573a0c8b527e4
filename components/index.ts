export { AcrPullAccess, AcrPullAccessArgs } from "./acr-pull-access";
export { HubFirewallRegistryRule, HubFirewallRegistryRuleArgs } from "./hub-firewall-registry-rule";
export { PrivateRegistryDns, PrivateRegistryDnsArgs } from "./private-registry-dns";
export { VnetPeeringPair, VnetPeeringPairArgs } from "./vnet-peering-pair";
export { AksAcrObserver, AksAcrObserverArgs } from "./aks-acr-observer";
export { AcrImagePullSecret, AcrImagePullSecretArgs, PullCredentials } from "./acr-image-pull-secret";
export { RegistryEgressAccess, RegistryEgressAccessArgs } from "./registry-egress-access";
export { AksAcrIntegration, AksAcrIntegrationArgs, IntegrationSummary } from "./aks-acr-integration";
