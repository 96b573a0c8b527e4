/** Placement (components/placement.ts): each child in the subscription of what it attaches to, through a provider of that subscription, for a hub in a landing zone's connectivity subscription. */
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import { idOf } from "../fixtures/azure";
import { privateLinkStack } from "../fixtures/network";
import { RegisteredResource, usePulumiMocks, valueOf, useComponents } from "../harness/mocks";

/** The healthy private-link stack's parts: aks-prod in the spoke, contosoacr's endpoint in the hub. */
const { hub, spoke, zone, pe } = privateLinkStack();

describe("components with a hub in another subscription (a landing zone's connectivity subscription)", () => {
  const mocks = usePulumiMocks();
  const components = useComponents();

  const WORKLOAD = SUBSCRIPTION;
  const CONNECTIVITY = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";
  const inConnectivity = (id: string) =>
    id.replace(/\/subscriptions\/[^/]+\//, `/subscriptions/${CONNECTIVITY}/`);
  const providerOf = (r: RegisteredResource): RegisteredResource | undefined =>
    r.provider
      ? mocks.ofType("pulumi:providers:azure-native").find((p) => r.provider!.includes(`::${p.name}::`))
      : undefined;

  it("declares each peering side in its VNet's subscription, through a provider of that subscription", async () => {
    const hubId = inConnectivity(idOf(hub));
    assert.equal(idOf(spoke).split("/")[2], WORKLOAD);
    const pair = new components.VnetPeeringPair("spoke-hub", {
      vnetAId: idOf(spoke),
      vnetBId: hubId,
      providerSubscriptionId: WORKLOAD,
    });
    await Promise.all([valueOf(pair.aToB.urn), valueOf(pair.bToA!.urn)]);
    const [aToB, bToA] = mocks.ofType("azure-native:network:VirtualNetworkPeering");
    assert.equal(aToB.provider, undefined, "the spoke's side stays on the inherited provider");
    assert.equal(providerOf(bToA)?.inputs.subscriptionId, CONNECTIVITY);
    // AND with the inherited provider's subscription unknown (no config, no environment), nothing is moved
    mocks.resources.length = 0;
    const saved = [process.env.ARM_SUBSCRIPTION_ID, process.env.AZURE_SUBSCRIPTION_ID];
    delete process.env.ARM_SUBSCRIPTION_ID;
    delete process.env.AZURE_SUBSCRIPTION_ID;
    const unknownHome = new components.VnetPeeringPair("spoke-hub-2", {
      vnetAId: idOf(spoke),
      vnetBId: hubId,
    });
    if (saved[0] !== undefined) process.env.ARM_SUBSCRIPTION_ID = saved[0];
    if (saved[1] !== undefined) process.env.AZURE_SUBSCRIPTION_ID = saved[1];
    await Promise.all([valueOf(unknownHome.aToB.urn), valueOf(unknownHome.bToA!.urn)]);
    assert.deepEqual(mocks.ofType("pulumi:providers:azure-native"), []);
  });

  it("declares the zone's links in the zone's subscription and the zone group in the endpoint's, one provider per subscription", async () => {
    const dns = new components.PrivateRegistryDns("acr-dns", {
      zoneId: inConnectivity(idOf(zone)),
      vnetIds: [idOf(spoke), inConnectivity(idOf(hub))],
      privateEndpointId: inConnectivity(idOf(pe)),
      providerSubscriptionId: WORKLOAD,
    });
    await Promise.all([...dns.links.map((l) => valueOf(l.urn)), valueOf(dns.zoneGroup!.urn)]);
    const providers = mocks.ofType("pulumi:providers:azure-native");
    assert.deepEqual(
      providers.map((p) => p.inputs.subscriptionId),
      [CONNECTIVITY],
    );
    for (const r of [
      ...mocks.ofType("azure-native:privatedns:VirtualNetworkLink"),
      ...mocks.ofType("azure-native:network:PrivateDnsZoneGroup"),
    ]) {
      assert.equal(providerOf(r)?.inputs.subscriptionId, CONNECTIVITY, r.name);
    }
  });

  it("declares the hub firewall rule in the firewall policy's subscription", async () => {
    const policyId = `/subscriptions/${CONNECTIVITY}/resourceGroups/rg-hub/providers/Microsoft.Network/firewallPolicies/fw-policy`;
    const rule = new components.HubFirewallRegistryRule("aks", {
      firewallPolicyId: policyId,
      sourceAddresses: ["10.10.0.0/22"],
      privateEndpointIps: ["10.0.1.4"],
      providerSubscriptionId: WORKLOAD,
    });
    await valueOf(rule.ruleCollectionGroup.urn);
    const [rcg] = mocks.ofType("azure-native:network:FirewallPolicyRuleCollectionGroup");
    assert.equal(providerOf(rcg)?.inputs.subscriptionId, CONNECTIVITY);
  });
});
