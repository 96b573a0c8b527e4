import * as pulumi from "@pulumi/pulumi";
import { dnsLinkName } from "../core/names";
import { PrivateDnsZoneGroup } from "@pulumi/azure-native/network";
import { VirtualNetworkLink } from "@pulumi/azure-native/privatedns";
import { parseArmId, requireArmId, resourceName, resourceType } from "../core/arm-id";
import { PRIVATE_LINK_ZONES } from "../core/network";

export interface PrivateRegistryDnsArgs {
  /** ARM id of the `privatelink.azurecr.io` private DNS zone. */
  zoneId: pulumi.Input<string>;
  /** ARM ids of the VNets that must resolve the registry privately: every cluster VNet. */
  vnetIds: pulumi.Input<string>[];
  /**
   * ARM id of the registry's private endpoint, to give it a DNS zone group in the zone (Azure then
   * writes the A records for the registry and its data endpoint).
   * @default - no zone group: the records are managed elsewhere
   */
  privateEndpointId?: pulumi.Input<string>;
}

/**
 * Private DNS for a registry reached through a private endpoint, the declaration that fixes
 * `acr-private-dns-link` (403 Forbidden, cause 3 solution 1): a virtual-network link from the
 * zone to each cluster VNet (no auto-registration), and optionally the endpoint's DNS zone group.
 */
export class PrivateRegistryDns extends pulumi.ComponentResource {
  public readonly links: VirtualNetworkLink[];
  public readonly zoneGroup?: PrivateDnsZoneGroup;

  constructor(name: string, args: PrivateRegistryDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:PrivateRegistryDns", name, {}, opts);
    const zone = pulumi.output(args.zoneId).apply(planZone);
    this.links = args.vnetIds.map(
      (vnet, i) =>
        new VirtualNetworkLink(
          `${name}-link-${i}`,
          {
            resourceGroupName: zone.resourceGroupName,
            privateZoneName: zone.zoneName,
            virtualNetworkLinkName: pulumi.output(vnet).apply(linkName),
            virtualNetwork: { id: vnet },
            registrationEnabled: false,
            location: "global",
          },
          { parent: this },
        ),
    );
    if (args.privateEndpointId !== undefined) {
      const pe = pulumi.output(args.privateEndpointId).apply(planEndpoint);
      this.zoneGroup = new PrivateDnsZoneGroup(
        `${name}-zone-group`,
        {
          resourceGroupName: pe.resourceGroupName,
          privateEndpointName: pe.privateEndpointName,
          privateDnsZoneGroupName: "default",
          privateDnsZoneConfigs: [
            { name: zone.zoneName.apply((z) => z.replace(/\./g, "-")), privateDnsZoneId: args.zoneId },
          ],
        },
        { parent: this },
      );
    }
    this.registerOutputs({ links: this.links, zoneGroup: this.zoneGroup });
  }
}

export function planZone(zoneId: string): { resourceGroupName: string; zoneName: string } {
  const id = parseArmId(zoneId);
  const zoneName = id && resourceName(id)?.toLowerCase();
  if (
    !id ||
    resourceType(id) !== "microsoft.network/privatednszones" ||
    !id.resourceGroup ||
    !PRIVATE_LINK_ZONES.includes(zoneName ?? "")
  ) {
    throw new Error(
      `PrivateRegistryDns: zoneId ${JSON.stringify(zoneId)} is not the ARM id of a registry private-link zone; expected ` +
        "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.io",
    );
  }
  return { resourceGroupName: id.resourceGroup, zoneName: zoneName! };
}

/** A link's name: the VNet's name and a short hash of its id, the same on every run. */
export function linkName(vnetId: string): string {
  const id = requireArmId(
    "PrivateRegistryDns",
    "vnet id",
    vnetId,
    "Microsoft.Network/virtualNetworks",
    "virtual network",
  );
  return dnsLinkName(id.key, resourceName(id)!);
}

function planEndpoint(peId: string): { resourceGroupName: string; privateEndpointName: string } {
  const id = requireArmId(
    "PrivateRegistryDns",
    "privateEndpointId",
    peId,
    "Microsoft.Network/privateEndpoints",
    "private endpoint",
  );
  return { resourceGroupName: id.resourceGroup!, privateEndpointName: resourceName(id)! };
}
