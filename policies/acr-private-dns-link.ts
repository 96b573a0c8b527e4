import { StackValidationPolicy } from "@pulumi/policy";
import {
  clusterVnets,
  hasZoneGroup,
  privateEndpointsOf,
  privateLinkZones,
  zoneARecords,
  zoneLinks,
  zonePending,
} from "../core/network";
import { pullPairs } from "../core/pull-pairs";
import { resourceName } from "../core/arm-id";
import { known, readString } from "../core/values";
import { declaredPulls, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "acr-private-dns-link";
const SYMPTOM_403 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden"';

export const acrPrivateDnsLink: StackValidationPolicy = {
  name: NAME,
  description:
    "A registry reached through a private endpoint: the privatelink.azurecr.io private DNS zone that serves it is linked " +
    "to every cluster VNet that pulls from it, and holds A records for the registry and its regional data endpoint.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-1-make-sure-the-aks-virtual-network-link-is-set-in-the-container-registrys-private-dns-zone",
  remediationSteps:
    "Link the zone to the cluster's VNet (aks-acr-guard's PrivateRegistryDns, or `az network private-dns link vnet create " +
    "-g <zone-group> -z privatelink.azurecr.io -n <link> -v <vnet-id> -e false`), and give the private endpoint a DNS zone group.",
  configSchema: { properties: { pulls: PULLS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    const zones = privateLinkZones(topo);
    if (zones.length === 0) return; // the zone is managed elsewhere: nothing here to judge
    let pending: string | undefined;
    for (const { cluster, registry } of pullPairs(
      topo,
      declaredPulls(NAME, args.getConfig<Record<string, unknown>>()),
    )) {
      const pes = privateEndpointsOf(topo, registry);
      if (pes.length === 0) continue;
      const name = known(registry.name) ? registry.name.toLowerCase() : undefined;
      // The zone that serves this registry: the one its endpoint's zone group or A records point at.
      const serving = zones.filter(
        (z) =>
          pes.some((pe) => hasZoneGroup(topo, pe.res, z)) ||
          (name !== undefined && zoneARecords(topo, z).has(name)),
      );
      const zone = serving[0] ?? zones[0];
      if (zonePending(topo, zone)) {
        pending ??= `${zone.res.name}: which links, records and zone groups are its own`;
        continue;
      }
      const zoneRg = zone.id?.resourceGroup ?? "<zone-resource-group>";
      if (serving.length === 0 && name !== undefined) {
        const location = readString(registry.res.props, "location");
        reportViolation(
          `Pods on cluster '${cluster.label}' pulling from '${name}.azurecr.io' will fail with ${SYMPTOM_403}: private DNS zone ` +
            `${zone.name} holds no A record for '${name}' (nor '${name}.${known(location) ? location : "<region>"}.data'), and private ` +
            `endpoint '${pes[0].res.name}' has no DNS zone group that would write them, so the name resolves to the registry's ` +
            "public address, which its network rules refuse.\n" +
            `Fix: declare aks-acr-guard's PrivateRegistryDns for the registry (it adds the endpoint's DNS zone group), or run: ` +
            `az network private-endpoint dns-zone-group create -g <endpoint-group> --endpoint-name ${pes[0].res.name} -n default ` +
            `--private-dns-zone ${zone.id?.raw ?? zone.name} --zone-name ${zone.name}`,
          cluster.res.urn,
        );
      }
      const { vnets, pending: vnetPending } = clusterVnets(topo, cluster);
      if (vnetPending) pending ??= `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID`;
      const links = zoneLinks(topo, zone);
      if (links.pending) {
        pending ??= `${zone.res.name}: virtualNetwork.id`;
        continue;
      }
      for (const vnet of vnets) {
        if (links.vnets.some((v) => v.key === vnet.key)) continue;
        reportViolation(
          `Pods on cluster '${cluster.label}' pulling from '${name ?? registry.label}.azurecr.io' will fail with ${SYMPTOM_403}: ` +
            `the cluster's VNet '${resourceName(vnet)}' has no virtual-network link to private DNS zone ${zone.name}, so it ` +
            "resolves the registry to its public address, not to the private endpoint (Microsoft's article, cause 3).\n" +
            "Fix: declare aks-acr-guard's PrivateRegistryDns for the cluster's VNet, or run: az network private-dns link vnet create " +
            `-g ${zoneRg} -z ${zone.name} -n ${resourceName(vnet)}-link -v ${vnet.raw} -e false`,
          cluster.res.urn,
        );
      }
    }
    if (pending) deferToPreview(pending);
  },
};
