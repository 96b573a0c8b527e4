/**
 * What AksAcrIntegration declares, decided from what AksAcrObserver saw: the same judgements the
 * policies make (pull access, DNS links, peerings, egress, hub firewall, drift), turned into the
 * components that fix them, or into the `az` commands where nothing declarative can.
 *
 * No churn: a fix this package declared on an earlier run is found in what is observed by its
 * deterministic name and declared again with the same inputs, so a second run changes nothing and
 * never deletes what the first created.
 */
import { ArmId, parseArmId, resourceName } from "../stack/arm-id";
import { clusterEgress, ipRuleValues } from "../network/egress";
import {
  allowCommands,
  allowPlacement,
  clusterSubnetInfo,
  DEFAULT_FIREWALL_PRIORITY,
  firewallRules,
  firewallVerdict,
} from "../network/firewall";
import { notCovered, parseCidr } from "../network/cidr";
import {
  clusterVnets,
  dnsPathOf,
  hasZoneGroup,
  Peering,
  peeringBetween,
  peerings,
  privateEndpointsOf,
  privateLinkZones,
  zoneLinks,
} from "../network/network";
import { hopsOf, PATH_POLICIES, pullPath } from "../path";
import { evaluatePullAccess } from "../identity/pull-access";
import { pullRoleFor, roleDefinitionGuid } from "../identity/roles";
import { buildTopology, OBSERVER_TYPE, StackResource, Topology } from "../stack/topology";
import { dnsLinkName, firewallGroupName, peeringName, ZONE_GROUP_NAME } from "./names";
import { roleAssignmentName } from "./uuid";
import { known, readString, sameText } from "../stack/values";

export interface IntegrationTarget {
  clusterId: string;
  registryId: string;
  /** The pulling identity's object id where the records do not show it (a service-principal cluster). */
  principalObjectId?: string;
  firewallPolicyId?: string;
  /** Egress IPs the records do not show (an appliance's), admitted with the cluster's own. */
  egressIps?: string[];
  /**
   * The pull role is declared apart from this plan (for a cluster the stack declares, from the
   * cluster's own outputs at construction, see `declaredClusterPullRole`): the plan leaves it out.
   */
  pullRoleDeclared?: boolean;
}

/** A command that fixes what no declaration can, with the policy whose finding it fixes. */
export interface PolicyCommand {
  policy: string;
  command: string;
}

/** How a report prints one: `<policy>: <command>`. */
export function commandLine(c: PolicyCommand): string {
  return `${c.policy}: ${c.command}`;
}

export interface IntegrationPlan {
  pullRole?: { principalId: string; abac: boolean };
  dns?: { zoneId: string; vnetIds: string[]; privateEndpointId?: string };
  peerings: { vnetAId: string; vnetBId: string; onlyAToB?: boolean }[];
  egress?: { ips: string[]; currentRules: string[] };
  firewall?: {
    firewallPolicyId: string;
    sourceAddresses: string[];
    privateEndpointIps: string[];
    priority: number;
  };
  /** What only a command fixes, each with the policy that reports it. */
  commands: PolicyCommand[];
  /** Why a fix could not be decided (e.g. the pulling identity is not known). */
  notes: string[];
}

/** The topology of observed records alone, as the policies would build it from an observer's output. */
export function observedTopology(records: readonly unknown[]): Topology {
  const observer: StackResource = {
    type: OBSERVER_TYPE,
    urn: "urn:pulumi:observed::aks-acr-guard::aks-acr-guard:index:AksAcrObserver::observed",
    name: "observed",
    props: { observed: records },
    dependencies: [],
    propertyDependencies: {},
  };
  return buildTopology([observer]);
}

export function planIntegration(
  records: readonly unknown[],
  target: IntegrationTarget,
  componentName: string,
): IntegrationPlan {
  const topo = observedTopology(records);
  const cid = parseArmId(target.clusterId);
  const rid = parseArmId(target.registryId);
  const cluster = topo.clusters.find((c) => c.id && cid && c.id.key === cid.key);
  const registry = topo.registries.find((r) => r.id && rid && r.id.key === rid.key);
  if (!cluster || !registry) {
    throw new Error(
      `AksAcrIntegration: the observer found no ${cluster ? "registry" : "cluster"} ${cluster ? target.registryId : target.clusterId}`,
    );
  }
  const plan: IntegrationPlan = { peerings: [], commands: [], notes: [] };

  // Pull role (aks-acr-pull-role).
  if (!target.pullRoleDeclared) planPullRole(topo, target, cluster, registry, plan);
  else noteRivalPullRole(topo, target, cluster, registry, plan);

  // Private DNS links and peerings (acr-private-dns-link, aks-acr-vnet-peering): declared where the
  // pull path's hop fails or waits, and kept where an earlier run declared them; a hop that passes
  // (a healthy private path, or a public path that admits the cluster) gets nothing new.
  const path = pullPath(
    topo,
    { cluster, registry, evidence: "config", certain: true },
    { egressIps: target.egressIps ?? [] },
  );
  const needs = (policy: string) => hopsOf(path, policy).some((h) => h.verdict !== "pass");
  const { vnets } = clusterVnets(topo, cluster);
  const pes = privateEndpointsOf(topo, registry);
  const zones = privateLinkZones(topo);
  if (pes.length > 0 && zones.length === 0) {
    plan.notes.push(
      `no privatelink.azurecr.io zone serves '${registry.label}' (no endpoint's DNS zone group names one, and none was ` +
        "found in the subscriptions of the cluster, the registry and the endpoints' VNets): set privateDnsZoneId to the " +
        "zone the cluster's names resolve in, so its VNet links can be declared",
    );
  }
  if (pes.length > 0 && zones.length > 0) {
    const zone = zones.find((z) => pes.some((pe) => hasZoneGroup(topo, pe.res, z))) ?? zones[0];
    const links = zoneLinks(topo, zone);
    const linkNames = new Set(
      (topo.byKind.get("virtualNetworkLink") ?? []).map((l) =>
        String(readString(l.props, "name")).toLowerCase(),
      ),
    );
    // The VNets whose queries Azure DNS answers for the cluster: its own, or, where it uses custom
    // DNS servers, the VNets that hold them (a resolver in the hub answers from *its* VNet's links).
    const askers: ArmId[] = [];
    for (const v of vnets) {
      const path = dnsPathOf(topo, v);
      if (!known(path)) continue;
      if (path.kind === "elsewhere") {
        plan.notes.push(
          `VNet '${resourceName(v)}' resolves names through DNS servers ${path.servers.join(", ")} in no VNet the ` +
            `observer read: no link is declared for them; make them forward ${zone.name} to Azure DNS (168.63.129.16) ` +
            "from a VNet linked to the zone",
        );
        continue;
      }
      for (const a of path.kind === "azure" ? [v] : path.vnets)
        if (!askers.some((x) => x.key === a.key)) askers.push(a);
    }
    const ourLink = (v: ArmId) => linkNames.has(dnsLinkName(v.key, resourceName(v)!));
    const wanted = askers.filter(
      (v) => (needs(PATH_POLICIES.dns) && !links.vnets.some((l) => l.key === v.key)) || ourLink(v),
    );
    // An endpoint without a zone group gets one; the one an earlier run declared stays declared
    // (dropping it from the program would delete it, and its A records with it).
    const ownGroup = (pe: { res: StackResource }) => {
      const peId = readString(pe.res.props, "id");
      if (!known(peId)) return false;
      const prefix = `${peId.toLowerCase()}/privatednszonegroups/`;
      return (topo.byKind.get("privateDnsZoneGroup") ?? []).some((g) => {
        const id = readString(g.props, "id");
        return known(id) && id.toLowerCase() === prefix + ZONE_GROUP_NAME;
      });
    };
    const withoutGroup = pes.find(
      (pe) => (needs(PATH_POLICIES.dns) && !hasZoneGroup(topo, pe.res, zone)) || ownGroup(pe),
    );
    const peId = withoutGroup ? readString(withoutGroup.res.props, "id") : undefined;
    if (zone.id && (wanted.length > 0 || known(peId))) {
      plan.dns = {
        zoneId: zone.id.raw,
        vnetIds: wanted.map((v) => v.raw),
        privateEndpointId: known(peId) ? peId : undefined,
      };
    }
  }
  const all = peerings(topo);
  const seen = new Set<string>();
  for (const pe of pes) {
    const peVnet = known(pe.vnet) ? pe.vnet : undefined;
    if (!peVnet) continue;
    for (const v of vnets) {
      if (v.key === peVnet.key || seen.has(peVnet.key + v.key)) continue;
      seen.add(peVnet.key + v.key);
      const there = peeringBetween(all, v, peVnet);
      const back = peeringBetween(all, peVnet, v);
      const ours = (p: Peering | undefined, remote: ArmId) =>
        !!p && p.name.toLowerCase() === peeringName(resourceName(remote)!).toLowerCase();
      const healthy = (p: Peering | undefined) =>
        !!p && p.allowsAccess !== false && (!known(p.state) || p.state?.toLowerCase() === "connected");
      // Someone else's side that connects once ours exists: healthy, or `Initiated` (Azure's answer
      // while its pair is missing, or until a refresh after ours was created); nothing is deleted.
      const connects = (p: Peering | undefined) =>
        healthy(p) ||
        (!!p && p.allowsAccess !== false && known(p.state) && p.state.toLowerCase() === "initiated");
      const thereOurs = !there || ours(there, peVnet);
      const backOurs = !back || ours(back, v);
      // A path that does not go this way (the cluster pulls over the public path) needs no peering.
      if (!needs(PATH_POLICIES.peering) && !(there && ours(there, peVnet)) && !(back && ours(back, v)))
        continue;
      if (thereOurs && backOurs) {
        plan.peerings.push({ vnetAId: v.raw, vnetBId: peVnet.raw });
      } else if (thereOurs && connects(back)) {
        plan.peerings.push({ vnetAId: v.raw, vnetBId: peVnet.raw, onlyAToB: true });
      } else if (backOurs && connects(there)) {
        plan.peerings.push({ vnetAId: peVnet.raw, vnetBId: v.raw, onlyAToB: true });
      } else {
        // A peering someone else manages is not Connected: it must be deleted and recreated there.
        for (const [p, from, to] of [
          [there, v, peVnet],
          [back, peVnet, v],
        ] as const) {
          if (!p || healthy(p)) continue;
          plan.commands.push({
            policy: "aks-acr-vnet-peering",
            command:
              `az network vnet peering delete -g ${from.resourceGroup} --vnet-name ${resourceName(from)} -n ${p.name} && ` +
              `az network vnet peering create -g ${from.resourceGroup} --vnet-name ${resourceName(from)} -n ${p.name} ` +
              `--remote-vnet ${to.raw} --allow-vnet-access`,
          });
        }
      }
    }
  }

  // Registry firewall (acr-firewall-aks-egress): only for the public path.
  const ruleSet = registry.res.props["networkRuleSet"] as
    { defaultAction?: unknown; ipRules?: unknown } | undefined;
  const denies = typeof ruleSet?.defaultAction === "string" && ruleSet.defaultAction.toLowerCase() === "deny";
  // With a private endpoint, the private path is the one to fix (peering, DNS above), not the rules;
  // and only where the path's admit hop does not pass.
  if (denies && pes.length === 0 && needs(PATH_POLICIES.egress)) {
    const egress = clusterEgress(topo, cluster);
    const currentRules = ipRuleValues(Array.isArray(ruleSet?.ipRules) ? ruleSet.ipRules : []);
    const ips = [...(known(egress) && egress ? egress.ips : []), ...(target.egressIps ?? [])];
    const missing = notCovered(ips, currentRules);
    if (missing.length > 0) plan.egress = { ips: missing, currentRules };
  }

  // Hub firewall (aks-acr-hub-firewall).
  const outbound = readString(cluster.res.props, "networkProfile", "outboundType");
  const peIps = pes.flatMap((pe) => pe.ips);
  if (
    target.firewallPolicyId &&
    known(outbound) &&
    outbound?.toLowerCase() === "userdefinedrouting" &&
    peIps.length > 0
  ) {
    const subnets = clusterSubnetInfo(topo, cluster);
    const sources = known(subnets) ? subnets.flatMap((s) => s.cidrs) : [];
    const ourGroup = firewallGroupName(componentName).toLowerCase();
    const isOurs = (name: string) => name.toLowerCase() === ourGroup;
    const groups = topo.byKind.get("firewallPolicyRuleCollectionGroup") ?? [];
    const declaredBefore = groups.some((g) => isOurs(String(readString(g.props, "name"))));
    // Judged without the group this plan declares, so every run decides the same.
    const rules = firewallRules(topo, isOurs);
    const verdicts = peIps.flatMap((ip) => {
      const dest = parseCidr(ip);
      return dest
        ? sources.map((s) => firewallVerdict({ network: rules.network, application: [] }, s, dest, []))
        : [];
    });
    // Whether a rule is needed is the path's firewall hop; the verdicts place it (ahead of a Deny).
    if (sources.length > 0 && (needs(PATH_POLICIES.firewall) || declaredBefore)) {
      // A Deny that decides first must be preceded: the group goes ahead of the first denying group.
      const denying = verdicts.flatMap((v) => (v.kind === "deny" ? [v.rule] : []));
      const firstDeny = Math.min(...denying.map((r) => r.order[0]));
      const deny = denying.find((r) => r.order[0] === firstDeny);
      // Where the path's fix would place it: a group at a free priority ahead of the deny (one placement for both).
      const placement = allowPlacement(topo, deny, { policy: target.firewallPolicyId, skipGroup: isOurs });
      const priority =
        placement && "newGroup" in placement
          ? placement.newGroup.priority
          : deny
            ? undefined
            : DEFAULT_FIREWALL_PRIORITY;
      if (priority === undefined) {
        plan.notes.push(
          `the hub firewall's ${deny!.where} denies the cluster's subnets TCP 443 to the registry's private endpoint, and no ` +
            `rule collection group can be placed ahead of its group (priority ${firstDeny}): no rule is declared`,
        );
        // No group fits ahead of it: a collection inside the denying group, ahead of the denying collection.
        const rule =
          `--rule-name aks-to-acr-443 --rule-type NetworkRule --ip-protocols TCP --destination-ports 443 ` +
          `--source-addresses ${sources.map((c) => c.raw).join(" ")} --destination-addresses ${peIps.join(" ")}`;
        const policy = parseArmId(target.firewallPolicyId)!;
        plan.commands.push({
          policy: "aks-acr-hub-firewall",
          command: placement
            ? allowCommands(placement, "allow-acr-private-endpoint", rule).join(" && ")
            : `az network firewall policy rule-collection-group collection add-filter-collection --subscription ${policy.subscriptionId} ` +
              `-g ${policy.resourceGroup} --policy-name ${resourceName(policy)} --rule-collection-group-name ${deny!.group?.name ?? "<the denying rule's group>"} ` +
              `--name allow-acr-private-endpoint --collection-priority <lower than the denying collection's> --action Allow ${rule}`,
        });
      } else {
        plan.firewall = {
          firewallPolicyId: target.firewallPolicyId,
          sourceAddresses: sources.map((c) => c.raw),
          privateEndpointIps: peIps,
          priority,
        };
      }
    }
  }

  // What no declaration fixes (a private endpoint connection awaiting approval, the kubelet identity
  // off the scale sets, an expired secret, the registry's token setting): the path's commands.
  for (const h of path.hops)
    if (h.verdict !== "pass" && !(target.pullRoleDeclared && h.policy === PATH_POLICIES.pullRole))
      for (const command of h.commands) plan.commands.push({ policy: h.policy, command });

  return plan;
}

/** The identity the cluster pulls with: principalObjectId where given, else the kubelet identity its record shows. */
function pullPrincipalOf(
  target: IntegrationTarget,
  cluster: Topology["clusters"][number],
): string | undefined {
  return (
    target.principalObjectId ?? (known(cluster.identity.objectId) ? cluster.identity.objectId : undefined)
  );
}

/** Why no pull role can be chosen while a registry's roleAssignmentMode is not read, and how to read it. */
function modeNotRead(registryLabel: string, registryId: string, consequence: string): string {
  return (
    `the roleAssignmentMode of '${registryLabel}' was not read (AcrPull is not honoured in ABAC mode), so ` +
    `${consequence}: check it with az acr show --ids ${registryId} --query roleAssignmentMode`
  );
}

/** The pull role of an observed cluster: declared where the path's authorize step fails, or where an earlier run declared it. */
function planPullRole(
  topo: Topology,
  target: IntegrationTarget,
  cluster: Topology["clusters"][number],
  registry: Topology["registries"][number],
  plan: IntegrationPlan,
): void {
  const rid = parseArmId(target.registryId);
  const principal = pullPrincipalOf(target, cluster);
  const role = pullRoleFor(registry.mode === "abac" ? "abac" : "rbac");
  if (!known(registry.mode)) {
    plan.notes.push(modeNotRead(registry.label, rid!.raw, "no pull role is declared"));
  } else if (principal) {
    const ours = roleAssignmentName(rid!.raw, principal, role.guid);
    const declaredBefore = topo.assignments.some(
      (a) => sameText(readString(a.res.props, "name"), ours) === true,
    );
    const verdict = evaluatePullAccess(topo, { cluster, registry, evidence: "config", certain: true });
    const missing =
      verdict.status === "missing" || (verdict.status === "undetermined" && !!target.principalObjectId);
    if (verdict.status === "crossTenant")
      plan.notes.push(
        `'${registry.label}' is in tenant ${verdict.registryTenant}, where the kubelet's managed identity cannot get a ` +
          "token: no pull role is declared (a pull secret from a token of the registry's tenant, or a multi-tenant service " +
          "principal, is the fix)",
      );
    else if (missing || declaredBefore)
      plan.pullRole = { principalId: principal, abac: registry.mode === "abac" };
  } else {
    plan.notes.push(
      `the pulling identity of '${cluster.label}' is not known: set principalObjectId to declare its pull role`,
    );
  }
}

/**
 * For a cluster the stack declares, whose pull role the integration declares itself: an assignment
 * of the same role to the same identity on the registry under another name (`az aks update
 * --attach-acr`, or one made by hand) makes Azure refuse the integration's with RoleAssignmentExists.
 */
function noteRivalPullRole(
  topo: Topology,
  target: IntegrationTarget,
  cluster: Topology["clusters"][number],
  registry: Topology["registries"][number],
  plan: IntegrationPlan,
): void {
  const principal = pullPrincipalOf(target, cluster);
  if (!principal || !known(registry.mode) || !registry.id) return;
  const role = pullRoleFor(registry.mode);
  const ours = roleAssignmentName(registry.id.raw, principal, role.guid);
  const rival = topo.assignments.find(
    (a) =>
      a.scopeId?.key === registry.id!.key &&
      sameText(a.principalId, principal) === true &&
      known(a.roleDefinitionId) &&
      roleDefinitionGuid(a.roleDefinitionId) === role.guid &&
      sameText(readString(a.res.props, "name"), ours) !== true,
  );
  if (rival)
    plan.notes.push(
      `'${cluster.label}' already holds ${role.name} on '${registry.label}' through role assignment ` +
        `'${String(readString(rival.res.props, "name"))}', made outside this stack: Azure refuses the integration's own ` +
        `(RoleAssignmentExists) until it is removed: az role assignment delete --ids ${String(readString(rival.res.props, "id"))}`,
    );
}

/**
 * Whether the pull role of a cluster the stack declares is ABAC's (Container Registry Repository
 * Reader) or AcrPull, from the registry's record. A cluster the stack creates has a new kubelet
 * identity, which holds no role anywhere yet: its pull role is always declared, at construction,
 * so that the preview shows it. A registry whose mode was not read is refused, never taken for RBAC.
 */
export function declaredClusterPullRole(registryRecord: unknown, registryId: string): { abac: boolean } {
  const rid = parseArmId(registryId);
  const registry = observedTopology(registryRecord ? [registryRecord] : []).registries.find(
    (r) => r.id && rid && r.id.key === rid.key,
  );
  if (!registry) throw new Error(`AksAcrIntegration: registry ${registryId} does not exist`);
  if (!known(registry.mode)) {
    throw new Error(
      `AksAcrIntegration: ${modeNotRead(registry.label, registryId, "the new cluster's pull role cannot be chosen")}`,
    );
  }
  return { abac: registry.mode === "abac" };
}
