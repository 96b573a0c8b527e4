export { AcrPullAccess, AcrPullAccessArgs } from "./acr-pull-access";
export { PrivateRegistryDns, PrivateRegistryDnsArgs } from "./private-registry-dns";
export { VnetPeeringPair, VnetPeeringPairArgs } from "./vnet-peering-pair";
