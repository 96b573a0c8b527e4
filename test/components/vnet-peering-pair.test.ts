/** VnetPeeringPair: both sides of a peering, and the pack's aks-acr-vnet-peering closed once Azure reports them Connected. */
import * as assert from "node:assert/strict";
import { planPeering } from "../../components/vnet-peering-pair";
import { idOf, kubeletPull } from "../fixtures/azure";
import { privateLinkStack } from "../fixtures/network";
import { assertSilent, assertViolation, usePolicyPack } from "../harness";
import { usePulumiMocks, valueOf, useComponents, asDeployed } from "../harness/mocks";

/** The healthy private-link stack's parts: aks-prod in the spoke, contosoacr's endpoint in the hub. */
const { hub, spoke, aks, acr, pe } = privateLinkStack();

describe("VnetPeeringPair", () => {
  const mocks = usePulumiMocks();
  const { run } = usePolicyPack();
  const components = useComponents();

  it("declares a peering in each VNet, with VNet access and forwarded traffic allowed", async () => {
    const pair = new components.VnetPeeringPair("spoke-hub", { vnetAId: idOf(spoke), vnetBId: idOf(hub) });
    await Promise.all([valueOf(pair.aToB.urn), valueOf(pair.bToA!.urn)]);
    const declared = mocks
      .ofType("azure-native:network:VirtualNetworkPeering")
      .map((r) => [r.name, r.inputs]);
    assert.deepEqual(declared, [
      [
        "spoke-hub-a-to-b",
        {
          resourceGroupName: "rg-aks",
          virtualNetworkName: "vnet-aks-prod",
          virtualNetworkPeeringName: "aks-acr-guard-to-vnet-hub",
          remoteVirtualNetwork: { id: idOf(hub) },
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: true,
        },
      ],
      [
        "spoke-hub-b-to-a",
        {
          resourceGroupName: "rg-aks",
          virtualNetworkName: "vnet-hub",
          virtualNetworkPeeringName: "aks-acr-guard-to-vnet-aks-prod",
          remoteVirtualNetwork: { id: idOf(spoke) },
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: true,
        },
      ],
    ]);
  });

  it("fails when a side is not a VNet id, or both sides are the same VNet", () => {
    assert.throws(
      () => planPeering(idOf(acr), idOf(hub)),
      /vnet id ".*registries\/contosoacr" is not the ARM id of a virtual network; expected \/subscriptions\/<subscription>\/resourceGroups\/<group>\/providers\/Microsoft.Network\/virtualNetworks\/<name>/,
    );
    assert.throws(() => planPeering(idOf(hub), idOf(hub).toUpperCase()), /a VNet needs no peering to itself/);
  });

  it("closes aks-acr-vnet-peering once Azure reports both sides Connected", async () => {
    const stack = [hub, spoke, aks, acr, kubeletPull(aks, acr), pe];
    assertViolation(await run("aks-acr-vnet-peering", stack), "mandatory", aks, "VnetPeeringPair");
    const pair = new components.VnetPeeringPair("spoke-hub", { vnetAId: idOf(spoke), vnetBId: idOf(hub) });
    await Promise.all([valueOf(pair.aToB.urn), valueOf(pair.bToA!.urn)]);
    const deployed = mocks
      .ofType("azure-native:network:VirtualNetworkPeering")
      .map((r) => asDeployed(r, { peeringState: "Connected" }));
    assertSilent(await run("aks-acr-vnet-peering", [...stack, ...deployed]));
  });
});
