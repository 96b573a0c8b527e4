import * as pulumi from "@pulumi/pulumi";
import { peeringName } from "../core/plan/names";
import { VirtualNetworkPeering } from "@pulumi/azure-native/network";
import { requireArmId, resourceName } from "../core/stack/arm-id";
import { placedIn } from "./placement";

const VNET = "Microsoft.Network/virtualNetworks";

export interface VnetPeeringPairArgs {
  /** ARM id of one VNet, e.g. the cluster's spoke. */
  vnetAId: pulumi.Input<string>;
  /** ARM id of the other VNet, e.g. the hub holding the registry's private endpoint. */
  vnetBId: pulumi.Input<string>;
  /**
   * Whether each side accepts traffic the other forwards (a hub firewall in between needs it).
   * @default - true
   */
  allowForwardedTraffic?: pulumi.Input<boolean>;
  /**
   * The peering from B to A exists and is managed elsewhere (e.g. by the hub's team): declare only
   * A to B. A plain boolean: it decides whether a resource is declared.
   * @default false: both directions
   */
  onlyAToB?: boolean;
  /**
   * The subscription the azure-native provider this component inherits targets. Each side goes to
   * its VNet's subscription: through a provider of its own where that is another (a hub in a
   * connectivity subscription).
   * @default - azure-native:subscriptionId, ARM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID; unset: both sides on the inherited provider
   */
  providerSubscriptionId?: string;
}

/**
 * VNet peering in both directions, the declaration that fixes `aks-acr-vnet-peering` (443 i/o
 * timeout, cause 4 solution 1): one `VirtualNetworkPeering` in each VNet, with VNet access allowed.
 */
export class VnetPeeringPair extends pulumi.ComponentResource {
  public readonly aToB: VirtualNetworkPeering;
  public readonly bToA?: VirtualNetworkPeering;

  constructor(name: string, args: VnetPeeringPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:VnetPeeringPair", name, {}, opts);
    const forwarded = args.allowForwardedTraffic ?? true;
    const side = (from: pulumi.Input<string>, to: pulumi.Input<string>, suffix: string) => {
      const plan = pulumi.all([from, to]).apply(([f, t]) => planPeering(f, t));
      return new VirtualNetworkPeering(
        `${name}-${suffix}`,
        {
          resourceGroupName: plan.resourceGroupName,
          virtualNetworkName: plan.virtualNetworkName,
          virtualNetworkPeeringName: plan.peeringName,
          remoteVirtualNetwork: { id: to },
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: forwarded,
        },
        placedIn(this, name, args.providerSubscriptionId, from),
      );
    };
    this.aToB = side(args.vnetAId, args.vnetBId, "a-to-b");
    this.bToA = args.onlyAToB ? undefined : side(args.vnetBId, args.vnetAId, "b-to-a");
    this.registerOutputs({ aToB: this.aToB, bToA: this.bToA });
  }
}

/** Where the peering from `from` to `to` lives and what it is called. */
export function planPeering(
  from: string,
  to: string,
): { resourceGroupName: string; virtualNetworkName: string; peeringName: string } {
  const f = requireArmId("VnetPeeringPair", "vnet id", from, VNET, "virtual network");
  const t = requireArmId("VnetPeeringPair", "remote vnet id", to, VNET, "virtual network");
  if (f.key === t.key)
    throw new Error(
      `VnetPeeringPair: both sides are ${JSON.stringify(from)}; a VNet needs no peering to itself`,
    );
  return {
    resourceGroupName: f.resourceGroup!,
    virtualNetworkName: resourceName(f)!,
    peeringName: peeringName(resourceName(t)!),
  };
}
