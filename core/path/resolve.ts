import { cmd, cmds } from "../findings/fix";
import {
  clusterVnets,
  dnsPathOf,
  endpointRecords,
  hasZoneGroup,
  servingZones,
  privateEndpointsOf,
  privateLinkZones,
  linkRedirectsNxDomain,
  zoneARecordAddresses,
  zoneARecords,
  zoneLinks,
  zonePending,
  ZoneInfo,
} from "../network/network";
import { resourceName } from "../stack/arm-id";
import { Known, known, readString, sameText, UNKNOWN } from "../stack/values";
import type { ArmId } from "../stack/arm-id";
import { ClusterNode, Topology } from "../stack/topology";
import { HopJudge, SYMPTOM_403 } from "./hop";

/**
 * What the zone links and records say about each pull through a private endpoint. `fails`: the pull
 * will fail, by what the stack shows (a VNet that resolves through Azure DNS, or through DNS servers
 * in a VNet of the stack, lacks the link; the zone lacks the records). `unsure`: the cluster's VNet
 * resolves through DNS servers in no VNet the stack shows, so which zone answers is not known here.
 */
export function dnsJudge(topo: Topology): HopJudge | undefined {
  const zones = privateLinkZones(topo);
  if (zones.length === 0) return undefined; // the zone is managed elsewhere: nothing here to judge
  return ({ cluster, registry }, will) => {
    const fails: string[] = [];
    const unsure: string[] = [];
    let pending: string | undefined;
    // What the kubelet prints for the first of the fails.
    let symptom: string | undefined;
    const fail = (message: string, prints: string) => {
      fails.push(message);
      symptom ??= prints;
    };
    const pes = privateEndpointsOf(topo, registry);
    if (pes.length === 0) return { fails };
    const name = known(registry.name) ? registry.name.toLowerCase() : undefined;
    // The zone that serves this registry: the one its endpoint's zone group or A records point at.
    const serving = servingZones(topo, pes, name);
    const zone = serving[0] ?? zones[0];
    if (zonePending(topo, zone))
      return { fails, pending: `${zone.res.name}: which links, records and zone groups are its own` };
    // A zone in another subscription than the cluster's (a hub's): the commands name it.
    const zoneSub = zone.id?.subscriptionId;
    const elsewhere =
      !!zoneSub && !!cluster.id?.subscriptionId && sameText(zoneSub, cluster.id.subscriptionId) === false;
    const zoneRg = `${zone.id?.resourceGroup ?? "<zone-resource-group>"}${elsewhere ? ` --subscription ${zoneSub}` : ""}`;
    const location = readString(registry.res.props, "location");
    // A name the zone does not hold: a VNet that resolves from the zone gets NXDOMAIN (the pull never
    // reaches an address, whatever the public path does), unless its link redirects to public DNS.
    const standing: string[] = [];
    const nxdomain = answersNxDomain(topo, cluster, zone);
    const so =
      nxdomain === true
        ? "so the cluster's DNS answers NXDOMAIN for it (its VNet resolves from the zone, and the link does not redirect to public DNS)"
        : "so the name resolves to the registry's public address, which its network rules refuse";
    const push = (message: string, prints: string) => {
      fail(message, prints);
      if (nxdomain === true) standing.push(message);
    };
    if (nxdomain === UNKNOWN)
      pending ??= `${zone.res.name}: its links' virtualNetwork.id and resolutionPolicy`;
    if (serving.length === 0 && name !== undefined) {
      const prints =
        nxdomain === true ? `ErrImagePull: "dial tcp: lookup ${name}.azurecr.io: no such host"` : SYMPTOM_403;
      push(
        `Pods on cluster '${cluster.label}' pulling from '${name}.azurecr.io' ${will} with ` +
          `${prints}: private DNS zone ` +
          `${zone.name} holds no A record for '${name}' (nor '${name}.${known(location) ? location : "<region>"}.data'), and private ` +
          `endpoint '${pes[0].res.name}' has no DNS zone group that would write them, ${so}.\n` +
          `Fix: declare aks-acr-guard's PrivateRegistryDns for the registry (it adds the endpoint's DNS zone group), or run: ` +
          cmd(
            `az network private-endpoint dns-zone-group create -g <endpoint-group> --endpoint-name ${pes[0].res.name} -n default ` +
              `--private-dns-zone ${zone.id?.raw ?? zone.name} --zone-name ${zone.name}`,
          ),
        prints,
      );
    }
    // A zone group writes the records and keeps them on the endpoint's IPs; by hand, the data
    // endpoints (where layers download from: one per replica's region) are the ones people forget,
    // and a record left on an address the endpoint no longer has sends the pull nowhere.
    const byHand = serving.length > 0 && !pes.some((pe) => hasZoneGroup(topo, pe.res, zone));
    if (byHand && name !== undefined) {
      const records = zoneARecords(topo, zone);
      const addresses = zoneARecordAddresses(topo, zone);
      const served = pes.flatMap((pe) => endpointRecords(pe).map((r) => ({ ...r, pe })));
      const dataNames = [
        ...new Set([
          ...(known(location) ? [`${name}.${location.toLowerCase()}.data`] : []),
          ...served.map((r) => r.name).filter((n) => n.startsWith(`${name}.`) && n.endsWith(".data")),
        ]),
      ];
      const missing = dataNames.filter((d) => !records.has(d));
      if (records.has(name) && missing.length > 0) {
        const list = missing.map((d) => `'${d}'`).join(", ");
        const replicas =
          missing.length > 1 || (known(location) && missing[0] !== `${name}.${location.toLowerCase()}.data`);
        const prints =
          "ErrImagePull: 'failed to copy: " +
          (nxdomain === true
            ? `httpReadSeeker: failed open: ... dial tcp: lookup ${missing[0]}.azurecr.io: no such host'`
            : `httpReadSeeker: failed open: ... https://${missing[0]}.azurecr.io/...: 403 Forbidden'`);
        push(
          `Pods on cluster '${cluster.label}' pulling from '${name}.azurecr.io' ${will} with ${prints}` +
            (nxdomain === true ? ": private DNS zone " : " (or an i/o timeout): private DNS zone ") +
            `${zone.name} holds an A record for '${name}' but none for ${list}, the registry's data ` +
            `${missing.length > 1 ? "endpoints" : "endpoint"} that image layers download from` +
            `${replicas ? " (a geo-replicated registry has one per replica's region, and the zone needs a record for each)" : ""}, ` +
            `${so}.\n` +
            `Fix: declare aks-acr-guard's PrivateRegistryDns for the registry (its DNS zone group writes every record), or run: ` +
            cmds(
              missing.map((d) => {
                const ip = served.find((r) => r.name === d)?.ips[0];
                return (
                  `az network private-dns record-set a add-record -g ${zoneRg} -z ${zone.name} -n ${d} ` +
                  `-a ${ip ?? `<private endpoint '${pes[0].res.name}' IP for ${d}.azurecr.io>`}`
                );
              }),
            ),
          prints,
        );
      }
      // A record on an address the endpoint does not have: the pull goes where nothing answers.
      for (const r of served) {
        const recorded = addresses.get(r.name);
        if (recorded === UNKNOWN) {
          pending ??= `${zone.res.name}: the A record '${r.name}'`;
          continue;
        }
        if (
          !recorded ||
          recorded.length === 0 ||
          r.ips.length === 0 ||
          recorded.some((ip) => r.ips.includes(ip))
        )
          continue;
        const prints = `ErrImagePull: "dial tcp ${recorded[0]}:443: i/o timeout"`;
        fail(
          `Pods on cluster '${cluster.label}' pulling from '${name}.azurecr.io' ${will} with ${prints}: private DNS zone ${zone.name}'s A record '${r.name}' points at ` +
            `${recorded.join(", ")}, but private endpoint '${r.pe.res.name}' answers ${r.fqdn} at ${r.ips.join(", ")} ` +
            "(a record written by hand, left behind when the endpoint was recreated), so the pull goes to an address nothing answers.\n" +
            `Fix: declare aks-acr-guard's PrivateRegistryDns for the registry (its DNS zone group keeps the records on the endpoint's IPs), or run: ` +
            cmds([
              `az network private-dns record-set a add-record -g ${zoneRg} -z ${zone.name} -n ${r.name} -a ${r.ips[0]}`,
              ...recorded.map(
                (ip) =>
                  `az network private-dns record-set a remove-record -g ${zoneRg} -z ${zone.name} -n ${r.name} -a ${ip}`,
              ),
            ]),
          prints,
        );
      }
    }
    const { vnets, pending: vnetPending } = clusterVnets(topo, cluster);
    if (vnetPending) pending ??= `${cluster.res.name}: agentPoolProfiles[].vnetSubnetID`;
    const links = zoneLinks(topo, zone);
    if (links.pending) return { fails, symptom, pending: pending ?? `${zone.res.name}: virtualNetwork.id` };
    const linkedTo = (v: { key: string }) => links.vnets.some((l) => l.key === v.key);
    const target = `'${name ?? registry.label}.azurecr.io'`;
    for (const vnet of vnets) {
      const path = dnsPathOf(topo, vnet);
      if (path === UNKNOWN) {
        pending ??= `${resourceName(vnet)}: dhcpOptions.dnsServers`;
        continue;
      }
      if (path.kind === "elsewhere") {
        unsure.push(
          `Pods on cluster '${cluster.label}' pulling from ${target} ${will} with ${SYMPTOM_403} unless the DNS servers of its ` +
            `VNet '${resourceName(vnet)}' (${path.servers.join(", ")}) answer ${zone.name} from a zone linked to their own VNet: ` +
            `they are in no VNet this stack shows, so whether they do is not known here (zone ${zone.name} is linked to ` +
            `${links.vnets.map((v) => `'${resourceName(v)}'`).join(", ") || "no VNet"}).\n` +
            `Fix: check from a node: ${cmd(`nslookup ${name ?? registry.label}.azurecr.io`)} should answer the private endpoint's IP; make the DNS ` +
            `servers forward ${zone.name} to Azure DNS (168.63.129.16) from a VNet linked to the zone.`,
        );
        continue;
      }
      // Azure DNS answers from the zones linked to the VNet that asks: the cluster's own, or the
      // VNet of the custom DNS servers it resolves through.
      for (const asks of path.kind === "azure" ? [vnet] : path.vnets) {
        if (linkedTo(asks)) continue;
        const through =
          path.kind === "azure"
            ? `the cluster's VNet '${resourceName(vnet)}' has no virtual-network link to private DNS zone ${zone.name}`
            : `the cluster's VNet '${resourceName(vnet)}' resolves through DNS servers ${path.servers.join(", ")} in VNet ` +
              `'${resourceName(asks)}', which has no virtual-network link to private DNS zone ${zone.name}`;
        fail(
          `Pods on cluster '${cluster.label}' pulling from ${target} ${will} with ${SYMPTOM_403}: ${through}, so it ` +
            "resolves the registry to its public address, not to the private endpoint (Microsoft's article, cause 3).\n" +
            `Fix: declare aks-acr-guard's PrivateRegistryDns for VNet '${resourceName(asks)}', or run: ` +
            cmd(
              `az network private-dns link vnet create -g ${zoneRg} -z ${zone.name} -n ${resourceName(asks)}-link -v ${asks.raw} -e false`,
            ),
          SYMPTOM_403,
        );
      }
    }
    return { fails, unsure, pending, standing, symptom };
  };
}

/**
 * Whether the cluster's DNS answers NXDOMAIN for a name the zone does not hold: every VNet it
 * resolves from (its own with Azure DNS, or its custom DNS servers') is linked to the zone, with
 * no link redirecting to public DNS. False where one is not linked (it resolves the public name).
 */
function answersNxDomain(topo: Topology, cluster: ClusterNode, zone: ZoneInfo): Known<boolean> {
  const { vnets, pending } = clusterVnets(topo, cluster);
  const links = zoneLinks(topo, zone);
  if (pending || links.pending) return UNKNOWN;
  const askers: ArmId[] = [];
  for (const vnet of vnets) {
    const path = dnsPathOf(topo, vnet);
    if (path === UNKNOWN) return UNKNOWN;
    if (path.kind === "elsewhere") return false;
    askers.push(...(path.kind === "azure" ? [vnet] : path.vnets));
  }
  if (askers.length === 0) return false;
  let redirect: Known<boolean> = false;
  for (const a of askers) {
    if (!links.vnets.some((l) => l.key === a.key)) return false;
    const r = linkRedirectsNxDomain(topo, zone, a);
    if (r === true) return false;
    if (r === UNKNOWN) redirect = UNKNOWN;
  }
  return redirect === UNKNOWN ? UNKNOWN : true;
}
