import * as pulumi from "@pulumi/pulumi";
import { firewallGroupName } from "../core/plan/names";
import { FirewallPolicyRuleCollectionGroup } from "@pulumi/azure-native/network";
import { requireArmId, resourceName } from "../core/stack/arm-id";
import { parseCidr } from "../core/network/cidr";
import { placedIn } from "./placement";

export interface HubFirewallRegistryRuleArgs {
  /** ARM id of the hub's firewall policy. */
  firewallPolicyId: pulumi.Input<string>;
  /** Address ranges of the cluster's node subnets (CIDR). */
  sourceAddresses: pulumi.Input<string>[];
  /** Private IPs of the registry's private endpoint (the registry and its data endpoint). */
  privateEndpointIps: pulumi.Input<string>[];
  /**
   * Priority of the rule collection group in the policy (100 to 65000, lower runs first).
   * @default - 200
   */
  priority?: pulumi.Input<number>;
  /**
   * The subscription the azure-native provider this component inherits targets. The rule goes to
   * the firewall policy's subscription: through a provider of its own where that is another (a hub
   * in a connectivity subscription).
   * @default - azure-native:subscriptionId, ARM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID; unset: the inherited provider
   */
  providerSubscriptionId?: string;
}

/**
 * A hub firewall rule that lets the cluster reach the registry's private endpoint, the declaration
 * that fixes `aks-acr-hub-firewall` (443 i/o timeout, cause 4 solution 2): a rule collection group
 * with one Allow network rule, cluster subnets to private-endpoint IPs, TCP 443.
 */
export class HubFirewallRegistryRule extends pulumi.ComponentResource {
  public readonly ruleCollectionGroup: FirewallPolicyRuleCollectionGroup;

  constructor(name: string, args: HubFirewallRegistryRuleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:HubFirewallRegistryRule", name, {}, opts);
    const policy = pulumi.output(args.firewallPolicyId).apply(planFirewallPolicy);
    const sources = pulumi
      .all(args.sourceAddresses)
      .apply((s) => checkAddresses("sourceAddresses", s, false));
    const destinations = pulumi
      .all(args.privateEndpointIps)
      .apply((d) => checkAddresses("privateEndpointIps", d, true));
    this.ruleCollectionGroup = new FirewallPolicyRuleCollectionGroup(
      `${name}-rcg`,
      {
        resourceGroupName: policy.resourceGroupName,
        firewallPolicyName: policy.firewallPolicyName,
        ruleCollectionGroupName: firewallGroupName(name),
        priority: args.priority ?? 200,
        ruleCollections: registryRuleCollections(sources, destinations),
      },
      placedIn(this, name, args.providerSubscriptionId, args.firewallPolicyId),
    );
    this.registerOutputs({ ruleCollectionGroup: this.ruleCollectionGroup });
  }
}

/** The one rule collection the group holds: Allow, the cluster subnets to the endpoint IPs on TCP 443. */
export function registryRuleCollections<T>(sourceAddresses: T, destinationAddresses: T) {
  return [
    {
      ruleCollectionType: "FirewallPolicyFilterRuleCollection" as const,
      name: "allow-acr-private-endpoint",
      priority: 100,
      action: { type: "Allow" },
      rules: [
        {
          ruleType: "NetworkRule" as const,
          name: "aks-to-acr-443",
          sourceAddresses,
          destinationAddresses,
          destinationPorts: ["443"],
          ipProtocols: ["TCP"],
        },
      ],
    },
  ];
}

export function planFirewallPolicy(id: string): { resourceGroupName: string; firewallPolicyName: string } {
  const parsed = requireArmId(
    "HubFirewallRegistryRule",
    "firewallPolicyId",
    id,
    "Microsoft.Network/firewallPolicies",
    "firewall policy",
  );
  return { resourceGroupName: parsed.resourceGroup!, firewallPolicyName: resourceName(parsed)! };
}

/** The addresses, refused with the offending one when one is not IPv4 CIDR (or, for endpoints, one address). */
export function checkAddresses(field: string, values: string[], single: boolean): string[] {
  if (values.length === 0)
    throw new Error(`HubFirewallRegistryRule: ${field} is empty; expected at least one address`);
  for (const v of values) {
    const c = parseCidr(v);
    if (!c || (single && c.prefix !== 32) || c.prefix === 0) {
      throw new Error(
        `HubFirewallRegistryRule: ${field} holds ${JSON.stringify(v)}; expected ${single ? "an IPv4 address" : "an IPv4 CIDR range narrower than 0.0.0.0/0"}`,
      );
    }
  }
  return values;
}
