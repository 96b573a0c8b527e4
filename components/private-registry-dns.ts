import * as pulumi from "@pulumi/pulumi";
import { childKey, childKeys, dnsLinkName, ZONE_GROUP_NAME } from "../core/plan/names";
import { PrivateDnsZoneGroup } from "@pulumi/azure-native/network";
import { PrivateRecordSet, PrivateZone, VirtualNetworkLink } from "@pulumi/azure-native/privatedns";
import { parseCidr } from "../core/network/cidr";
import { parseArmId, requireArmId, resourceName, resourceType } from "../core/stack/arm-id";
import { PRIVATE_LINK_ZONES } from "../core/network/network";
import { placedIn } from "./placement";

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
  /**
   * Declare the zone itself at `zoneId` (location global), for an environment that has none. A
   * plain boolean: it decides whether a resource is declared.
   * @default false: the zone exists
   */
  createZone?: boolean;
  /**
   * A records to declare in the zone, for endpoints without a DNS zone group (e.g. in another
   * subscription): `<registry>` and `<registry>.<region>.data`, each to its private-endpoint IP.
   * @default - none: a DNS zone group writes them
   */
  aRecords?: PrivateRegistryARecord[];
  /**
   * The subscription the azure-native provider this component inherits targets. What lives in the
   * zone goes to the zone's subscription, the zone group to the endpoint's: through a provider of
   * their own where that subscription is another (a hub in a connectivity subscription).
   * @default - azure-native:subscriptionId, ARM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID; unset: every child on the inherited provider
   */
  providerSubscriptionId?: string;
}

export interface PrivateRegistryARecord {
  /** The relative name, e.g. `contosoacr` or `contosoacr.westeurope.data`. */
  name: pulumi.Input<string>;
  /** The private endpoint's IP for that name. */
  ipv4Address: pulumi.Input<string>;
}

/**
 * Private DNS for a registry reached through a private endpoint, the declaration that fixes
 * `acr-private-dns-link` (403 Forbidden, cause 3 solution 1): a virtual-network link from the
 * zone to each cluster VNet (no auto-registration), and optionally the endpoint's DNS zone group.
 */
export class PrivateRegistryDns extends pulumi.ComponentResource {
  public readonly zone?: PrivateZone;
  public readonly links: VirtualNetworkLink[];
  public readonly records: PrivateRecordSet[];
  public readonly zoneGroup?: PrivateDnsZoneGroup;

  constructor(name: string, args: PrivateRegistryDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:PrivateRegistryDns", name, {}, opts);
    const zone = pulumi.output(args.zoneId).apply(planZone);
    const zonePlace = placedIn(this, name, args.providerSubscriptionId, args.zoneId);
    if (args.createZone) {
      this.zone = new PrivateZone(
        `${name}-zone`,
        { resourceGroupName: zone.resourceGroupName, privateZoneName: zone.zoneName, location: "global" },
        zonePlace,
      );
    }
    // What lives in the zone waits for it when this component declares it.
    const inZone = { ...zonePlace, dependsOn: this.zone ? [this.zone] : [] };
    // Children are named after what they hold (the record, the VNet), not their place in a list:
    // reordering the list, or adding to it, moves nothing to another resource.
    this.records = (args.aRecords ?? []).map(
      (record, i) =>
        new PrivateRecordSet(
          `${name}-a-${childKey(record.name, i)}`,
          {
            resourceGroupName: zone.resourceGroupName,
            privateZoneName: zone.zoneName,
            recordType: "A",
            relativeRecordSetName: record.name,
            ttl: 3600,
            aRecords: [{ ipv4Address: pulumi.output(record.ipv4Address).apply(checkIpv4) }],
          },
          inZone,
        ),
    );
    const vnetKeys = childKeys(args.vnetIds);
    this.links = args.vnetIds.map(
      (vnet, i) =>
        new VirtualNetworkLink(
          `${name}-link-${vnetKeys[i]}`,
          {
            resourceGroupName: zone.resourceGroupName,
            privateZoneName: zone.zoneName,
            virtualNetworkLinkName: pulumi.output(vnet).apply(linkName),
            virtualNetwork: { id: vnet },
            registrationEnabled: false,
            location: "global",
          },
          inZone,
        ),
    );
    if (args.privateEndpointId !== undefined) {
      const pe = pulumi.output(args.privateEndpointId).apply(planEndpoint);
      this.zoneGroup = new PrivateDnsZoneGroup(
        `${name}-zone-group`,
        {
          resourceGroupName: pe.resourceGroupName,
          privateEndpointName: pe.privateEndpointName,
          // Named as ours, so that a later run knows the group it declared from one made by hand.
          privateDnsZoneGroupName: ZONE_GROUP_NAME,
          privateDnsZoneConfigs: [
            { name: zone.zoneName.apply((z) => z.replace(/\./g, "-")), privateDnsZoneId: args.zoneId },
          ],
        },
        {
          ...placedIn(this, name, args.providerSubscriptionId, args.privateEndpointId),
          dependsOn: this.zone ? [this.zone] : [],
        },
      );
    }
    this.registerOutputs({
      zone: this.zone,
      links: this.links,
      records: this.records,
      zoneGroup: this.zoneGroup,
    });
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

/** An A record's address: one IPv4 address. */
export function checkIpv4(ip: string): string {
  const c = parseCidr(ip);
  if (!c || c.prefix !== 32 || ip.includes("/")) {
    throw new Error(
      `PrivateRegistryDns: aRecords holds ${JSON.stringify(ip)}; expected one IPv4 address, e.g. 10.0.1.4`,
    );
  }
  return ip;
}
