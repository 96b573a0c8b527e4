import { cmd, cmds } from "../findings/fix";
import { notCovered } from "../network/cidr";
import { clusterEgress, ipRuleValues, reachesPrivateEndpoint } from "../network/egress";
import { privateEndpointsOf } from "../network/network";
import { parseArmId, resourceName } from "../stack/arm-id";
import { listOf, readArmProp, readArray, readString, known, UNKNOWN } from "../stack/values";
import type { PullPair } from "../stack/pull-pairs";
import type { Topology } from "../stack/topology";
import { HopJudge, PathOptions, SYMPTOM_403 } from "./hop";

const nameOfId = (id: string) => {
  const parsed = parseArmId(id);
  return (parsed && resourceName(parsed)) ?? id;
};

/**
 * Whether the registry's public endpoint admits the cluster: `admits` true or false, UNKNOWN while a
 * value waits on preview (`pending` names it), `undefined` when the stack does not show the cluster's
 * egress IPs. `refused` names what refuses it, for the messages.
 */
export interface PublicAdmission {
  admits: boolean | typeof UNKNOWN | undefined;
  pending?: string;
  disabled?: boolean;
  refused?: { ips: string[]; source: string };
}

export function publicAdmission(
  topo: Topology,
  { cluster, registry }: PullPair,
  options: PathOptions,
): PublicAdmission {
  const props = registry.res.props;
  const defaultAction = readString(props, "networkRuleSet", "defaultAction");
  const publicAccess = readString(props, "publicNetworkAccess");
  if (defaultAction === UNKNOWN || publicAccess === UNKNOWN)
    return { admits: UNKNOWN, pending: `${registry.res.name}: networkRuleSet` };
  if (known(publicAccess) && publicAccess.toLowerCase() === "disabled")
    return { admits: false, disabled: true };
  if (!known(defaultAction) || defaultAction.toLowerCase() !== "deny") return { admits: true };
  const egress = clusterEgress(topo, cluster);
  if (egress === UNKNOWN) return { admits: UNKNOWN, pending: `${cluster.res.name}: egress IPs` };
  const ips = [...(egress?.ips ?? []), ...(options.egressIps ?? [])];
  if (ips.length === 0) return { admits: undefined }; // the stack shows no egress IP to check
  const rules = readArray(props, "networkRuleSet", "ipRules");
  if (rules === UNKNOWN) return { admits: UNKNOWN, pending: `${registry.res.name}: networkRuleSet.ipRules` };
  const refused = notCovered(ips, ipRuleValues(rules ?? []));
  if (refused.length === 0) return { admits: true };
  return {
    admits: false,
    refused: {
      ips: refused,
      source: egress ? `outboundType ${egress.outboundType}: ${egress.source}` : "config egressIps",
    },
  };
}

/** What refuses the public path, for a message: "its public network access is Disabled", or the IPs. */
export function publicRefusal({ disabled, refused }: PublicAdmission): string {
  if (disabled) return "the registry's public network access is Disabled";
  if (!refused) return "the registry refuses public access";
  return (
    "the registry refuses public access (defaultAction: Deny) and its IP rules do not admit the cluster's egress " +
    `${refused.ips.length > 1 ? "IPs" : "IP"} ${refused.ips.join(", ")} (${refused.source})`
  );
}

/**
 * The admit step where the path is public, or where which address the cluster resolves is not shown
 * (no privatelink zone in the stack): the registry admits the cluster's egress, or a private
 * endpoint the cluster reaches serves it.
 */
export function egressJudge(topo: Topology, options: PathOptions): HopJudge {
  return (pair, will) => {
    const { cluster, registry } = pair;
    const none = { fails: [] as string[] };
    const wait = (pending: string) => ({ fails: [] as string[], pending });
    const props = registry.res.props;
    const admission = publicAdmission(topo, pair, options);
    if (admission.admits === true || admission.admits === undefined) return none;
    if (admission.admits === UNKNOWN && admission.pending?.endsWith(": networkRuleSet"))
      return wait(admission.pending);
    const pes = privateEndpointsOf(topo, registry);
    const reach = reachesPrivateEndpoint(topo, cluster, pes, readString(props, "id"));
    if (reach === true) return none;
    if (reach === UNKNOWN) return wait(`${cluster.res.name}: the path to the registry's private endpoints`);
    // The registry's own record lists its private endpoint connections: one to an endpoint this
    // stack does not show (a networking stack's) may be the cluster's path. Mandatory means certain.
    const connections = readArray(props, "privateEndpointConnections");
    if (connections === UNKNOWN) return wait(`${registry.res.name}: privateEndpointConnections`);
    const shown = new Set(pes.map((pe) => String(readString(pe.res.props, "id")).toLowerCase()));
    const outside = listOf(connections)
      .map((c) => readArmProp(c, "privateEndpoint", "id"))
      .filter((id): id is string => typeof id === "string" && !shown.has(id.toLowerCase()));
    if (outside.length > 0) {
      return {
        fails: [],
        unsure: [
          `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403} unless one of the ` +
            `registry's private endpoints this stack does not show (${outside.map((id) => `'${nameOfId(id)}'`).join(", ")}) ` +
            `is reachable from the cluster's VNet: the registry refuses public access (${admission.disabled ? "publicNetworkAccess: Disabled" : "defaultAction: Deny"}) ` +
            "and no endpoint this stack shows is in, or peered with, that VNet.\n" +
            "Fix: to make this certain, declare aks-acr-guard's AksAcrObserver for the cluster and the registry (it reads the " +
            "registry's private endpoints, their VNets and peerings); " +
            `check from a node: ${cmd(`nslookup ${registry.label}.azurecr.io`)} should answer a private IP reachable from the cluster.`,
        ],
      };
    }
    if (admission.disabled) {
      return {
        symptom: SYMPTOM_403,
        fails: [
          `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403}: the registry's ` +
            `public network access is Disabled and ${pes.length ? "none of its private endpoints is in, or peered with, the cluster's VNet" : "it has no private endpoint in this stack"}.\n` +
            "Fix: give the cluster a private path (a private endpoint in or peered with its VNet: aks-acr-guard's VnetPeeringPair " +
            "and PrivateRegistryDns)" +
            // A registry reached through private endpoints is private by design: never reopen it to the internet.
            (pes.length > 0 ? "." : reopenCommands(topo, pair, options)),
        ],
      };
    }
    if (admission.admits === UNKNOWN)
      return wait(admission.pending ?? `${registry.res.name}: networkRuleSet`);
    const refused = admission.refused?.ips ?? [];
    return {
      symptom: SYMPTOM_403,
      fails: [
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ${SYMPTOM_403}: ${publicRefusal(admission)} ` +
          "(Microsoft's article, cause 3, solution 2).\n" +
          `Fix: declare aks-acr-guard's RegistryEgressAccess, or run: ${cmds(refused.map((ip) => `az acr network-rule add -n ${registry.label} --ip-address ${ip}`))}`,
      ],
    };
  };
}

/**
 * The other fix of a registry with no private endpoint at all: open selected networks to the
 * cluster's egress IPs, where the stack shows them.
 */
function reopenCommands(topo: Topology, { cluster, registry }: PullPair, options: PathOptions): string {
  const egress = clusterEgress(topo, cluster);
  const ips = [...(egress && egress !== UNKNOWN ? egress.ips : []), ...(options.egressIps ?? [])];
  if (ips.length === 0)
    return ", or open selected networks to the cluster's egress IPs (aks-acr-guard's RegistryEgressAccess; the stack does not show them)";
  return (
    `, or open selected networks to its egress: ` +
    cmds([
      `az acr update -n ${registry.label} --public-network-enabled true --default-action Deny`,
      ...ips.map((ip) => `az acr network-rule add -n ${registry.label} --ip-address ${ip}`),
    ])
  );
}
