import * as pulumi from "@pulumi/pulumi";
import { requireArmId, resourceName } from "../core/stack/arm-id";
import { notCovered, parseCidr } from "../core/network/cidr";

export interface RegistryEgressAccessArgs {
  /** ARM id of the registry whose network rules must admit the cluster. */
  registryId: pulumi.Input<string>;
  /**
   * The cluster's public egress IPs (or ranges): its load balancer's or NAT gateway's outbound
   * IPs, or the hub firewall's public IPs. AksAcrIntegration resolves them from what it observes.
   */
  egressIps: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The registry's current `networkRuleSet.ipRules` (`iPAddressOrRange` values), kept first.
   * @default - none: the rule set admits the egress IPs only
   */
  currentIpRules?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The widest range accepted, as a prefix length: a wider one is refused, never applied.
   * @default 16 (as the acr-public-network-open policy)
   */
  minPrefixLength?: pulumi.Input<number>;
}

/**
 * The registry network rule set that admits the cluster's egress IPs, the fix for
 * `acr-firewall-aks-egress` (403 Forbidden, cause 2 solution 2). It never widens to everyone.
 *
 * A stack cannot amend a resource another declaration owns, so this component declares nothing:
 * where the stack owns the registry, pass `networkRuleSet` to its `Registry` declaration; where it
 * does not, `commands` are the exact `az acr network-rule add` commands, and they are logged as a
 * warning on every run until the registry admits the IPs.
 */
export class RegistryEgressAccess extends pulumi.ComponentResource {
  /** The IPs the registry does not admit yet. */
  public readonly missingIps: pulumi.Output<string[]>;
  /** `networkRuleSet` for the registry's declaration: Deny by default, the current rules plus the missing IPs. */
  public readonly networkRuleSet: pulumi.Output<{
    defaultAction: string;
    ipRules: { action: string; iPAddressOrRange: string }[];
  }>;
  /** The `az` commands that admit the missing IPs to a registry this stack does not own. */
  public readonly commands: pulumi.Output<string[]>;

  constructor(name: string, args: RegistryEgressAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:RegistryEgressAccess", name, {}, opts);
    const plan = pulumi
      .all([args.registryId, args.egressIps, args.currentIpRules ?? [], args.minPrefixLength ?? 16])
      .apply(([registryId, egressIps, current, minPrefix]) =>
        planEgressAccess(registryId, egressIps, current, minPrefix),
      );
    this.missingIps = plan.missingIps;
    this.commands = plan.commands;
    this.networkRuleSet = plan.apply((p) => ({
      defaultAction: "Deny",
      ipRules: p.ipRules.map((ip) => ({ action: "Allow", iPAddressOrRange: ip })),
    }));
    this.commands.apply((commands) => {
      if (commands.length > 0) {
        void pulumi.log.warn(
          `the registry's network rules refuse the cluster's egress IPs (pulls fail with 403 Forbidden); run:\n  ${commands.join("\n  ")}`,
          this,
        );
      }
    });
    this.registerOutputs({
      missingIps: this.missingIps,
      networkRuleSet: this.networkRuleSet,
      commands: this.commands,
    });
  }
}

export interface EgressAccessPlan {
  missingIps: string[];
  ipRules: string[];
  commands: string[];
}

/** The rules that admit the egress IPs, decided from plain values; throws on a value of the wrong form. */
export function planEgressAccess(
  registryId: string,
  egressIps: string[],
  currentIpRules: string[],
  minPrefixLength: number,
): EgressAccessPlan {
  const id = requireArmId(
    "RegistryEgressAccess",
    "registryId",
    registryId,
    "Microsoft.ContainerRegistry/registries",
    "container registry",
  );
  if (!Number.isInteger(minPrefixLength) || minPrefixLength < 1 || minPrefixLength > 32) {
    throw new Error(
      `RegistryEgressAccess: minPrefixLength is ${JSON.stringify(minPrefixLength)}; expected an integer from 1 to 32`,
    );
  }
  if (egressIps.length === 0) {
    throw new Error("RegistryEgressAccess: egressIps is empty; expected the cluster's public egress IPs");
  }
  for (const raw of egressIps) {
    const c = parseCidr(raw);
    if (!c) {
      throw new Error(
        `RegistryEgressAccess: egressIps holds ${JSON.stringify(raw)}; expected an IPv4 address or CIDR range (ACR IP rules are IPv4 only)`,
      );
    }
    if (c.prefix < minPrefixLength) {
      throw new Error(
        `RegistryEgressAccess: egressIps holds ${raw}, wider than /${minPrefixLength}; admitting it would open the registry to ` +
          "far more than the cluster: give the cluster's outbound IPs",
      );
    }
  }
  const missing = [...new Set(notCovered(egressIps, currentIpRules))];
  const registry = resourceName(id)!;
  return {
    missingIps: missing,
    ipRules: [...currentIpRules, ...missing],
    commands: missing.map(
      (ip) =>
        `az acr network-rule add --subscription ${id.subscriptionId} -g ${id.resourceGroup} -n ${registry} --ip-address ${ip}`,
    ),
  };
}
