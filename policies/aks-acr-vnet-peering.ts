import { resourceName } from "../core/arm-id";
import { clusterVnets, Peering, peeringBetween, peerings, privateEndpointsOf } from "../core/network";
import { known, UNKNOWN } from "../core/values";
import { pairPolicies } from "./lib/pair-check";

const NAME = "aks-acr-vnet-peering";

/** A side that, with its pair present, carries traffic once both exist: not Disconnected, state known. */
const stateOk = (p: Peering) => known(p.state) && ["connected", "initiated"].includes(p.state.toLowerCase());

export const [aksAcrVnetPeering, aksAcrVnetPeeringUnverified] = pairPolicies({
  name: NAME,
  description:
    "When the registry's private endpoint sits in another VNet than the cluster, the two VNets are peered in both " +
    "directions and both peerings are Connected.",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-1-make-sure-virtual-network-peering-is-used",
  remediationSteps:
    "Peer the VNets both ways (aks-acr-guard's VnetPeeringPair, or `az network vnet peering create` in each VNet with " +
    "--allow-vnet-access); a Disconnected peering must be deleted and recreated on both sides.",
  judgeFor: (topo) => {
    const all = peerings(topo);
    return ({ cluster, registry }, will) => {
      const fails: string[] = [];
      let pending: string | undefined;
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
          const check = (p: Peering | undefined, from: string, to: string, other: Peering | undefined) => {
            if (!p) return problems.push(`no peering from '${from}' to '${to}'`);
            // Even Connected, a peering with allowVirtualNetworkAccess: false carries no traffic between the VNets.
            if (p.allowsAccess === false)
              problems.push(
                `peering '${p.name}' from '${from}' to '${to}' has allowVirtualNetworkAccess: false`,
              );
            else if (p.allowsAccess === UNKNOWN) pending ??= `${p.name}: allowVirtualNetworkAccess`;
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
            }
            return undefined;
          };
          check(there, resourceName(vnet)!, resourceName(peVnet)!, back);
          check(back, resourceName(peVnet)!, resourceName(vnet)!, there);
          if (problems.length === 0) continue;
          fails.push(
            `Pods on cluster '${cluster.label}' pulling from '${registry.label}' ${will} with ErrImagePull: "dial tcp ` +
              `${pe.ips[0] ?? "<private-endpoint-ip>"}:443: i/o timeout": the registry's private endpoint '${pe.res.name}' is in VNet ` +
              `'${resourceName(peVnet)}', the cluster in '${resourceName(vnet)}', and ${problems.join("; ")} ` +
              "(Microsoft's article, cause 4, solution 1).\n" +
              "Fix: declare aks-acr-guard's VnetPeeringPair for the two VNets (a Disconnected peering: delete both sides first), " +
              `or run: az network vnet peering create -g ${vnet.resourceGroup} --vnet-name ${resourceName(vnet)} -n to-${resourceName(peVnet)} ` +
              `--remote-vnet ${peVnet.raw} --allow-vnet-access, and the same from '${resourceName(peVnet)}'.`,
          );
        }
      }
      return { fails, pending };
    };
  },
});
