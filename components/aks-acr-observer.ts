import * as pulumi from "@pulumi/pulumi";
import { OBSERVER_TYPE } from "../core/stack/topology";
import { observe } from "./azure/observe";
import { ArmRecord, AzureReader } from "./azure/reader";
import { providerReader } from "./azure/rest";

export interface AksAcrObserverArgs {
  /** ARM id of the cluster (`.../providers/Microsoft.ContainerService/managedClusters/<name>`). */
  clusterId: pulumi.Input<string>;
  /** ARM id of the registry (`.../providers/Microsoft.ContainerRegistry/registries/<name>`). */
  registryId: pulumi.Input<string>;
  /**
   * ARM id of the hub firewall policy the cluster's egress goes through.
   * @default - no firewall is read: the cluster's egress is taken to be its own
   */
  firewallPolicyId?: pulumi.Input<string>;
  /**
   * ARM id of the privatelink.azurecr.io zone, where no private endpoint's DNS zone group names it.
   * @default - the zones the registry's private endpoints' DNS zone groups name
   */
  privateDnsZoneId?: pulumi.Input<string>;
  /**
   * Images of the registry (`<login server>/<repository>:<tag>` or `@<digest>`) whose platforms to
   * read from their manifests, for k8s-image-architecture; images of other registries are skipped.
   * @default - no image is read
   */
  images?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * How to read Azure: the offline preview passes a reader over a recorded environment.
   * @default - ARM and Microsoft Graph over HTTPS with the azure-native provider's credentials, in its cloud
   */
  reader?: AzureReader;
}

/**
 * Observes what stacks rarely own and registers it as its `observed` output, ARM resource JSON as
 * Azure Resource Graph returns it, so the policies see drift there: the cluster and the registry,
 * the node-pool scale sets and their identities, role assignments on the registry, the cluster
 * service principal's credential end dates (Microsoft Graph), the registry's admin password hashes
 * (never the passwords), the VNets and peerings, private endpoints and DNS, and egress IPs. It
 * declares no Azure resource and changes nothing.
 */
export class AksAcrObserver extends pulumi.ComponentResource {
  /** What was observed, as ARM records; read by the aks-acr-guard policies. */
  public readonly observed: pulumi.Output<ArmRecord[]>;

  constructor(name: string, args: AksAcrObserverArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OBSERVER_TYPE, name, {}, opts);
    this.observed = pulumi
      .all([args.clusterId, args.registryId, args.firewallPolicyId, args.privateDnsZoneId, args.images])
      .apply(async ([clusterId, registryId, firewallPolicyId, privateDnsZoneId, images]) =>
        observe(args.reader ?? (await providerReader()), {
          clusterId,
          registryId,
          firewallPolicyId,
          privateDnsZoneId,
          images,
        }),
      );
    this.registerOutputs({ observed: this.observed });
  }
}
