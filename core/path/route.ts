import { cmd, cmds } from "../findings/fix";
import { ArmId, parseArmId, resourceName } from "../stack/arm-id";
import { cidrContains, parseCidr } from "../network/cidr";
import { clusterSubnetInfo, nsgAllowCommands, nsgDenies } from "../network/firewall";
import {
  clusterVnets,
  Peering,
  peeringBetween,
  peerings,
  PrivateEndpointInfo,
  privateEndpointsOf,
  vnetsByKey,
} from "../network/network";
import {
  isUnknown,
  Known,
  known,
  listOf,
  read,
  readArmProp,
  readArray,
  readString,
  sameText,
  UNKNOWN,
} from "../stack/values";
import type { Topology } from "../stack/topology";
import { HopJudge } from "./hop";

/** A side that, with its pair present, carries traffic once both exist: not Disconnected, state known. */
const stateOk = (p: Peering) => known(p.state) && ["connected", "initiated"].includes(p.state.toLowerCase());

export function peeringJudge(topo: Topology): HopJudge {
  const all = peerings(topo);
  return ({ cluster, registry }, will) => {
    const fails: string[] = [];
    // What the kubelet prints for the first of the fails.
    let symptom: string | undefined;
    const unsure: string[] = [];
    let pending: string | undefined;
    const shown = vnetsByKey(topo);
    const { vnets, pending: vnetPending } = clusterVnets(topo, cluster);
    if (vnetPending) pending ??= `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID`;
    for (const pe of privateEndpointsOf(topo, registry)) {
      if (pe.vnet === UNKNOWN) {
        pending ??= `${pe.res.name}: subnet.id`;
        continue;
      }
      const peVnet = pe.vnet;
      if (!peVnet) continue;
      for (const vnet of vnets) {
        if (vnet.key === peVnet.key) continue;
        const there = peeringBetween(all, vnet, peVnet);
        const back = peeringBetween(all, peVnet, vnet);
        const problems: string[] = [];
        const unshown: string[] = [];
        /** What the fix does, side by side: create a missing side, re-create a broken pair, open access. */
        const fixes = new Set<string>();
        const at = (v: ArmId) =>
          `--subscription ${v.subscriptionId} -g ${v.resourceGroup} --vnet-name ${resourceName(v)}`;
        const create = (a: ArmId, b: ArmId) =>
          `az network vnet peering create ${at(a)} -n to-${resourceName(b)} --remote-vnet ${b.raw} --allow-vnet-access`;
        const check = (
          p: Peering | undefined,
          from: string,
          to: string,
          other: Peering | undefined,
          fromVnet: ArmId,
          toVnet: ArmId,
        ) => {
          if (!p) {
            // The VNet the side would be in is not shown (another subscription, another team): Azure
            // shows the other side Connected only while this one exists, and Initiated while it does
            // not; otherwise nothing here tells.
            const state = other && known(other.state) ? other.state.toLowerCase() : undefined;
            if (!shown.has(fromVnet.key) && state === "connected") return undefined;
            if (!shown.has(fromVnet.key) && state !== "initiated")
              return unshown.push(`from '${from}' to '${to}'`);
            fixes.add(create(fromVnet, toVnet));
            return problems.push(`no peering from '${from}' to '${to}'`);
          }
          // Even Connected, a peering with allowVirtualNetworkAccess: false carries no traffic between the VNets.
          if (p.allowsAccess === false) {
            problems.push(
              `peering '${p.name}' from '${from}' to '${to}' has allowVirtualNetworkAccess: false`,
            );
            fixes.add(
              `az network vnet peering update ${at(fromVnet)} -n ${p.name} --set allowVirtualNetworkAccess=true`,
            );
          } else if (p.allowsAccess === UNKNOWN) pending ??= `${p.name}: allowVirtualNetworkAccess`;
          // A side being created has no state yet: with its pair present it connects (a Disconnected
          // pair is reported on the pair's own check); alone, whether it will is not known yet.
          if (p.state === UNKNOWN) return other ? undefined : (pending ??= `${p.name}: peeringState`);
          // `Initiated` is what Azure answers while the remote side does not exist: a side created
          // first keeps that answer as its output until a refresh, though creating the other side
          // connected both. With both sides present and neither Disconnected, the pair is Connected.
          if (
            known(p.state) &&
            p.state.toLowerCase() === "initiated" &&
            other &&
            (stateOk(other) || other.state === UNKNOWN)
          )
            return undefined;
          // Alone, `Initiated` is only the missing side's echo: that side is the problem, and reported.
          if (known(p.state) && p.state.toLowerCase() === "initiated" && !other) return undefined;
          if (known(p.state) && p.state.toLowerCase() !== "connected") {
            problems.push(`peering '${p.name}' from '${from}' to '${to}' is ${p.state}, not Connected`);
            // A Disconnected pair is re-created: both sides deleted, then both created.
            fixes.add(`az network vnet peering delete ${at(fromVnet)} -n ${p.name}`);
            if (other) fixes.add(`az network vnet peering delete ${at(toVnet)} -n ${other.name}`);
            fixes.add(create(fromVnet, toVnet));
            fixes.add(create(toVnet, fromVnet));
          }
          return undefined;
        };
        check(there, resourceName(vnet)!, resourceName(peVnet)!, back, vnet, peVnet);
        check(back, resourceName(peVnet)!, resourceName(vnet)!, there, peVnet, vnet);
        if (problems.length === 0) {
          if (unshown.length > 0)
            unsure.push(
              `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ErrImagePull: "dial tcp ` +
                `${pe.ips[0] ?? "<private-endpoint-ip>"}:443: i/o timeout" unless the peering${unshown.length > 1 ? "s" : ""} ${unshown.join(" and ")} ` +
                `exist${unshown.length > 1 ? "" : "s"}: the registry's private endpoint '${pe.res.name}' is in '${resourceName(peVnet)}', the cluster in ` +
                `'${resourceName(vnet)}', and the stack or recording does not show the VNet a peering would be in.\n` +
                "Fix: to make this certain, record or declare that VNet (capture-world.sh reads every subscription the ids point into; " +
                `its identity needs Reader there), or check: ${cmd(`az network vnet peering list -g ${peVnet.resourceGroup} --vnet-name ${resourceName(peVnet)} --subscription ${peVnet.subscriptionId}`)}`,
            );
          continue;
        }
        symptom ??= `ErrImagePull: "dial tcp ${pe.ips[0] ?? "<private-endpoint-ip>"}:443: i/o timeout"`;
        fails.push(
          `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ErrImagePull: "dial tcp ` +
            `${pe.ips[0] ?? "<private-endpoint-ip>"}:443: i/o timeout": the registry's private endpoint '${pe.res.name}' is in VNet ` +
            `'${resourceName(peVnet)}', the cluster in '${resourceName(vnet)}', and ${problems.join("; ")} ` +
            "(Microsoft's article, cause 4, solution 1).\n" +
            "Fix: declare aks-acr-guard's VnetPeeringPair for the two VNets (a Disconnected peering: delete both sides first), " +
            `or run: ${cmds(orderedFixes(fixes))}`,
        );
      }
    }
    return { fails, unsure, pending, symptom };
  };
}

/** Deletions before creations (a re-created pair), each command once. */
const orderedFixes = (fixes: Set<string>) => [
  ...[...fixes].filter((f) => f.includes(" peering delete ")),
  ...[...fixes].filter((f) => !f.includes(" peering delete ")),
];

const CONNECTION_KEYS = ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"] as const;

/**
 * The state of a private endpoint's connection to the registry: the registry's own record of its
 * connections first (the registry's owner approves there), then the endpoint's. `undefined` when
 * neither says: an automatic connection is approved as it is made; a manual one starts `Pending`.
 */
function connectionState(
  pe: PrivateEndpointInfo,
  registryConnections: unknown[],
): { status: Known<string> | undefined; manual: boolean; name?: string } {
  const peId = readString(pe.res.props, "id");
  const onRegistry = registryConnections.find((c) => {
    const id = readArmProp(c, "privateEndpoint", "id");
    return known(peId) && typeof id === "string" && sameText(id, peId) === true;
  });
  const manual = CONNECTION_KEYS.slice(1).some((k) => listOf(readArray(pe.res.props, k)).length > 0);
  if (onRegistry) {
    const status = readArmProp(onRegistry, "privateLinkServiceConnectionState", "status");
    const name =
      readArmProp(onRegistry, "name") ??
      (String(readArmProp(onRegistry, "id") ?? "")
        .split("/")
        .pop() ||
        undefined);
    if (isUnknown(status)) return { status: UNKNOWN, manual };
    if (typeof status === "string")
      return { status, manual, name: typeof name === "string" ? name : undefined };
  }
  for (const key of CONNECTION_KEYS) {
    const list = readArray(pe.res.props, key);
    if (list === UNKNOWN) return { status: UNKNOWN, manual };
    for (const c of listOf(list)) {
      const status = readArmProp(c, "privateLinkServiceConnectionState", "status");
      if (isUnknown(status)) return { status: UNKNOWN, manual };
      if (typeof status === "string") return { status, manual };
    }
  }
  return { status: undefined, manual };
}

/**
 * The route step's private endpoint: only a connection in state `Approved` carries traffic; a manual
 * connection waits `Pending` for the registry owner's approval, and `Rejected` or `Disconnected` ones
 * carry none. The pull fails when no endpoint of the registry is Approved.
 */
export function connectionJudge(topo: Topology): HopJudge {
  return ({ cluster, registry }, will) => {
    const pes = privateEndpointsOf(topo, registry);
    if (pes.length === 0) return { fails: [] };
    const onRegistry = readArray(registry.res.props, "privateEndpointConnections");
    if (onRegistry === UNKNOWN)
      return { fails: [], pending: `${registry.res.name}: privateEndpointConnections` };
    const states = pes.map((pe) => ({ pe, ...connectionState(pe, listOf(onRegistry)) }));
    const waiting = states.find((s) => s.status === UNKNOWN);
    const approved = (s: (typeof states)[number]) =>
      known(s.status) ? s.status.toLowerCase() === "approved" : !s.manual && s.status === undefined;
    if (states.some(approved)) return { fails: [] };
    if (waiting) return { fails: [], pending: `${waiting.pe.res.name}: its connection's status` };
    const target = `'${registry.label}'`;
    const symptom = `ErrImagePull: "dial tcp ${states[0].pe.ips[0] ?? "<private-endpoint-ip>"}:443: i/o timeout"`;
    const list = states
      .map(
        (s) =>
          `'${s.pe.res.name}' is ${known(s.status) ? s.status : "a manual connection nothing shows approved"}`,
      )
      .join(", ");
    const isPending = (st: Known<string> | undefined) => !known(st) || st.toLowerCase() === "pending";
    const approve = states
      .filter((x) => isPending(x.status))
      .map(
        (x) =>
          `az acr private-endpoint-connection approve -r ${registry.label} -n ${x.name ?? `$(az acr private-endpoint-connection list -r ${registry.label} --query "[?privateEndpoint.id=='${String(readString(x.pe.res.props, "id"))}'].name" -o tsv)`}`,
      );
    const recreate = states
      .filter((x) => !isPending(x.status))
      .map((x) => `az network private-endpoint delete --ids ${String(readString(x.pe.res.props, "id"))}`);
    const commands = [...approve, ...recreate];
    const fix = [
      approve.length ? `approve the pending connection: ${cmds(approve)}` : undefined,
      recreate.length
        ? "a Rejected or Disconnected connection is never approved again: delete the endpoint and create it once the " +
          `registry's owner agrees: ${cmds(recreate)}`
        : undefined,
    ]
      .filter(Boolean)
      .join("; ");
    const message =
      `Pods on cluster '${cluster.label}' pulling from ${target} ${will} with ${symptom}: the registry's private endpoint ` +
      `connections carry no traffic (${list}); only an Approved connection does, a manual one waits Pending for the ` +
      "registry owner's approval, and a Rejected or Disconnected one never carries any.\n" +
      `Fix: ${fix}.`;
    // A manual connection no record shows approved: Azure starts it Pending, but someone may have
    // approved it since; the registry's record of its connections makes that certain.
    if (states.some((s) => s.status === undefined)) return { fails: [], unsure: [message], commands };
    return { fails: [message], commands, symptom };
  };
}

/**
 * The cluster's own subnets on the way out: an NSG rule that denies outbound TCP 443 to the
 * registry (its private-endpoint IPs, the AzureContainerRegistry tag or Internet) ahead of any
 * allow, and a route that sends that traffic to a virtual appliance the stack does not know as a
 * firewall. Reported by the advisory aks-subnet-nsg-acr ("may fail"): an NSG's effective rules
 * and an appliance's behaviour are more than the records show, so the hop is `unknown`, not `fail`.
 */
export function subnetJudge(topo: Topology, knownApplianceIps: readonly string[]): HopJudge {
  const nsgs = new Map(
    (topo.byKind.get("networkSecurityGroup") ?? []).map((n) => [parseArmId(n.props["id"])?.key, n]),
  );
  const tables = new Map(
    (topo.byKind.get("routeTable") ?? []).map((t) => [parseArmId(t.props["id"])?.key, t]),
  );
  const firewallIps = new Set<string>(knownApplianceIps);
  for (const fw of topo.byKind.get("azureFirewall") ?? []) {
    for (const c of listOf(read(fw.props, "ipConfigurations"))) {
      const ip = readArmProp(c, "privateIPAddress");
      if (typeof ip === "string") firewallIps.add(ip);
    }
  }
  return ({ cluster, registry }) => {
    const subnets = clusterSubnetInfo(topo, cluster);
    if (subnets === UNKNOWN)
      return { fails: [], pending: `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID` };
    let pending: string | undefined;
    const peIps = privateEndpointsOf(topo, registry).flatMap((pe) => pe.ips);
    const targets = peIps.length
      ? peIps.map((ip) => ({ cidr: parseCidr(ip), tags: ["VirtualNetwork"] }))
      : [{ cidr: undefined, tags: ["AzureContainerRegistry", "Internet"] }];
    const findings: string[] = [];
    const nsgFixes: string[] = [];
    let throughAppliance = false;
    for (const subnet of subnets) {
      const nsg = subnet.nsg ? nsgs.get(parseArmId(subnet.nsg)?.key) : undefined;
      for (const t of nsg ? targets : []) {
        const block = nsgDenies(nsg!, t);
        if (block === UNKNOWN) pending ??= `${nsg!.name}: securityRules`;
        else if (block) {
          findings.push(
            `NSG '${block.nsg.name}' rule '${block.rule}' (priority ${block.priority}) denies outbound TCP 443 to ${block.target} before any allow`,
          );
          const fix = cmds(
            nsgAllowCommands(block, peIps.length ? peIps.join(" ") : "AzureContainerRegistry"),
          );
          if (!nsgFixes.includes(fix)) nsgFixes.push(fix);
        }
      }
      const table = subnet.routeTable ? tables.get(parseArmId(subnet.routeTable)?.key) : undefined;
      for (const route of listOf(read(table?.props, "routes"))) {
        const prefix = readArmProp(route, "addressPrefix");
        const hopType = readArmProp(route, "nextHopType");
        const hop = readArmProp(route, "nextHopIpAddress");
        const range = typeof prefix === "string" ? parseCidr(prefix) : undefined;
        if (!range || hopType !== "VirtualAppliance" || typeof hop !== "string" || firewallIps.has(hop))
          continue;
        if (!targets.some((t) => (t.cidr ? cidrContains(range, t.cidr) : range.prefix === 0))) continue;
        throughAppliance = true;
        findings.push(
          `route table '${table!.name}' sends ${prefix} to virtual appliance ${hop}, which the stack does not know`,
        );
      }
    }
    if (findings.length === 0) return { fails: [], pending };
    const registryName = known(registry.name) ? registry.name.toLowerCase() : registry.label;
    const server = `${registryName}.azurecr.io`;
    const location = readString(registry.res.props, "location");
    const dataServer = `${registryName}.${known(location) ? location.toLowerCase() : "<region>"}.data.azurecr.io`;
    // An appliance that drops or inspects TLS shows as a handshake that never completes (the
    // article's cause 7); an NSG deny as a connection that never opens.
    const symptom = throughAppliance
      ? `ErrImagePull: 'Get "https://${server}/v2/": net/http: TLS handshake timeout' (or an i/o timeout on 443)`
      : "ErrImagePull (an i/o timeout on 443)";
    return {
      fails: [],
      pending,
      unsure: [
        `Pods on cluster '${cluster.label}' pulling from '${registry.label}' may fail with ${symptom}: ` +
          `${findings.join("; ")}.\n` +
          "Fix: " +
          [
            ...(nsgFixes.length
              ? [`allow outbound TCP 443 to the registry ahead of the deny: ${nsgFixes.join("; and ")}`]
              : []),
            ...(throughAppliance
              ? [
                  "point the route at the hub firewall (add the appliance to knownApplianceIps if it is one); through a " +
                    `virtual appliance, validate that it passes TLS to ${server} and ${dataServer} (its firewall and proxy ` +
                    "settings), or route the registry's traffic around it",
                ]
              : []),
          ].join("; and ") +
          ".",
      ],
    };
  };
}
