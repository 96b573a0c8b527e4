import * as assert from "node:assert/strict";
import { checkIpv4, linkName, planZone } from "../../components/private-registry-dns";
import { checkAddresses, planFirewallPolicy } from "../../components/hub-firewall-registry-rule";
import { planPeering } from "../../components/vnet-peering-pair";
import {
  armId,
  idOf,
  kubeletPull,
  managedCluster,
  registry,
  registryPrivateEndpoint,
} from "../fixtures/azure";
import { HUB, SPOKE, peering, privateLinkStack, privateZone } from "../fixtures/network";
import {
  assertSilent,
  assertViolation,
  PolicyResourceInput,
  setPath,
  usePolicyPack,
  withProps,
} from "../harness";
import { RegisteredResource, usePulumiMocks, valueOf } from "../harness/mocks";

type Components = typeof import("../../components");

const hub = HUB;
const spoke = SPOKE;
const zone = privateZone();
const aks = managedCluster("aks-prod");
const acr = registry("contosoacr", { publicNetworkAccess: "Disabled" });
const pe = registryPrivateEndpoint("pe-contosoacr", acr);

/** A declared resource as the policy pack sees it after `pulumi up`: its inputs, plus what Azure adds. */
const asDeployed = (r: RegisteredResource, added: Record<string, unknown> = {}): PolicyResourceInput => ({
  type: r.type,
  name: r.name,
  props: { ...r.inputs, ...added },
});

describe("VnetPeeringPair and PrivateRegistryDns", () => {
  const mocks = usePulumiMocks();
  const { run } = usePolicyPack();
  let components: Components;
  before(async () => {
    components = await import("../../components");
  });

  describe("VnetPeeringPair", () => {
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
      assert.throws(
        () => planPeering(idOf(hub), idOf(hub).toUpperCase()),
        /a VNet needs no peering to itself/,
      );
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

  describe("a hub in another subscription (a landing zone's connectivity subscription)", () => {
    const WORKLOAD = "3f2b1c9e-6d4a-4e8b-9a7c-2d1e0f9b8a76";
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

  describe("PrivateRegistryDns", () => {
    it("links the zone to each VNet, without auto-registration, and gives the endpoint a zone group", async () => {
      const dns = new components.PrivateRegistryDns("acr-dns", {
        zoneId: idOf(zone),
        vnetIds: [idOf(spoke), idOf(hub)],
        privateEndpointId: idOf(pe),
      });
      await Promise.all([...dns.links.map((l) => valueOf(l.urn)), valueOf(dns.zoneGroup!.urn)]);
      const links = mocks.ofType("azure-native:privatedns:VirtualNetworkLink");
      assert.deepEqual(
        links.map((l) => [
          l.inputs.resourceGroupName,
          l.inputs.privateZoneName,
          l.inputs.virtualNetwork,
          l.inputs.registrationEnabled,
          l.inputs.location,
        ]),
        [
          ["rg-dns", "privatelink.azurecr.io", { id: idOf(spoke) }, false, "global"],
          ["rg-dns", "privatelink.azurecr.io", { id: idOf(hub) }, false, "global"],
        ],
      );
      assert.match(links[0].inputs.virtualNetworkLinkName as string, /^vnet-aks-prod-[0-9a-f]{8}$/);
      assert.equal(
        linkName(idOf(spoke)),
        linkName(idOf(spoke).toUpperCase()),
        "the same name whatever the id's case",
      );
      const [group] = mocks.ofType("azure-native:network:PrivateDnsZoneGroup");
      assert.deepEqual(group.inputs, {
        resourceGroupName: "rg-aks",
        privateEndpointName: "pe-contosoacr",
        privateDnsZoneGroupName: "aks-acr-guard",
        privateDnsZoneConfigs: [{ name: "privatelink-azurecr-io", privateDnsZoneId: idOf(zone) }],
      });
    });

    it("declares the zone and its A records where the environment has none", async () => {
      const dns = new components.PrivateRegistryDns("acr-dns", {
        zoneId: idOf(zone),
        vnetIds: [idOf(spoke)],
        createZone: true,
        aRecords: [
          { name: "contosoacr", ipv4Address: "10.0.1.4" },
          { name: "contosoacr.westeurope.data", ipv4Address: "10.0.1.5" },
        ],
      });
      await Promise.all([valueOf(dns.zone!.urn), ...dns.records.map((r) => valueOf(r.urn))]);
      const [z] = mocks.ofType("azure-native:privatedns:PrivateZone");
      assert.deepEqual(z.inputs, {
        resourceGroupName: "rg-dns",
        privateZoneName: "privatelink.azurecr.io",
        location: "global",
      });
      assert.deepEqual(
        mocks
          .ofType("azure-native:privatedns:PrivateRecordSet")
          .map((r) => [r.inputs.recordType, r.inputs.relativeRecordSetName, r.inputs.aRecords]),
        [
          ["A", "contosoacr", [{ ipv4Address: "10.0.1.4" }]],
          ["A", "contosoacr.westeurope.data", [{ ipv4Address: "10.0.1.5" }]],
        ],
      );
      assert.throws(
        () => checkIpv4("10.0.1.0/24"),
        /aRecords holds "10.0.1.0\/24"; expected one IPv4 address/,
      );
    });

    it("fails when the zone is not a registry private-link zone", () => {
      assert.throws(
        () => planZone(idOf(zone).replace("privatelink.azurecr.io", "contoso.com")),
        /zoneId ".*contoso.com" is not the ARM id of a registry private-link zone; expected .*privatelink.azurecr.io/,
      );
      assert.throws(
        () => linkName("vnet-aks-prod"),
        /vnet id "vnet-aks-prod" is not the ARM id of a virtual network/,
      );
    });

    it("closes acr-private-dns-link", async () => {
      const { all, spokeLink } = privateLinkStack();
      const stack = all.filter((r) => r !== spokeLink);
      assertViolation(await run("acr-private-dns-link", stack), "mandatory", aks, "PrivateRegistryDns");
      const dns = new components.PrivateRegistryDns("acr-dns", {
        zoneId: idOf(zone),
        vnetIds: [idOf(spoke)],
      });
      await valueOf(dns.links[0].urn);
      const deployed = mocks.ofType("azure-native:privatedns:VirtualNetworkLink").map((r) => asDeployed(r));
      assertSilent(await run("acr-private-dns-link", [...stack, ...deployed]));
    });
  });

  describe("HubFirewallRegistryRule", () => {
    const policyId = armId("rg-hub", "Microsoft.Network/firewallPolicies", "fwp-hub");

    it("declares one Allow network rule from the cluster subnets to the endpoint IPs on TCP 443", async () => {
      const rule = new components.HubFirewallRegistryRule("aks-prod", {
        firewallPolicyId: policyId,
        sourceAddresses: ["10.10.0.0/22"],
        privateEndpointIps: ["10.0.1.4", "10.0.1.5"],
      });
      await valueOf(rule.ruleCollectionGroup.urn);
      const [rcg] = mocks.ofType("azure-native:network:FirewallPolicyRuleCollectionGroup");
      assert.deepEqual(rcg.inputs, {
        resourceGroupName: "rg-hub",
        firewallPolicyName: "fwp-hub",
        ruleCollectionGroupName: "aks-prod-acr",
        priority: 200,
        ruleCollections: [
          {
            ruleCollectionType: "FirewallPolicyFilterRuleCollection",
            name: "allow-acr-private-endpoint",
            priority: 100,
            action: { type: "Allow" },
            rules: [
              {
                ruleType: "NetworkRule",
                name: "aks-to-acr-443",
                sourceAddresses: ["10.10.0.0/22"],
                destinationAddresses: ["10.0.1.4", "10.0.1.5"],
                destinationPorts: ["443"],
                ipProtocols: ["TCP"],
              },
            ],
          },
        ],
      });
    });

    it("fails on a policy id, a range or an endpoint address of the wrong form, and never opens to everyone", () => {
      assert.throws(
        () => planFirewallPolicy("fwp-hub"),
        /firewallPolicyId "fwp-hub" is not the ARM id of a firewall policy; expected .*firewallPolicies\/<name>/,
      );
      assert.throws(
        () => checkAddresses("sourceAddresses", ["0.0.0.0/0"], false),
        /sourceAddresses holds "0.0.0.0\/0"; expected an IPv4 CIDR range narrower than 0.0.0.0\/0/,
      );
      assert.throws(
        () => checkAddresses("privateEndpointIps", ["10.0.1.0/24"], true),
        /expected an IPv4 address/,
      );
      assert.throws(() => checkAddresses("privateEndpointIps", [], true), /is empty/);
    });

    it("closes aks-acr-hub-firewall", async () => {
      const udr = withProps(aks, (p) => setPath(p, "networkProfile.outboundType", "userDefinedRouting"));
      const firewall = {
        type: "azure-native:network:AzureFirewall",
        name: "fw-hub",
        props: {
          id: armId("rg-hub", "Microsoft.Network/azureFirewalls", "fw-hub"),
          ipConfigurations: [{ privateIPAddress: "10.0.2.4" }],
        },
      };
      const stack = [
        hub,
        spoke,
        udr,
        acr,
        kubeletPull(udr, acr),
        pe,
        peering(hub, spoke),
        peering(spoke, hub),
        firewall,
      ];
      assertViolation(await run("aks-acr-hub-firewall", stack), "mandatory", udr, "HubFirewallRegistryRule");
      const rule = new components.HubFirewallRegistryRule("aks-prod", {
        firewallPolicyId: policyId,
        sourceAddresses: ["10.10.0.0/22"],
        privateEndpointIps: ["10.0.1.4", "10.0.1.5"],
      });
      await valueOf(rule.ruleCollectionGroup.urn);
      const deployed = mocks
        .ofType("azure-native:network:FirewallPolicyRuleCollectionGroup")
        .map((r) => asDeployed(r));
      assertSilent(await run("aks-acr-hub-firewall", [...stack, ...deployed]));
    });
  });
});
