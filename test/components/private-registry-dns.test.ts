/** PrivateRegistryDns: the zone's VNet links, the zone and its records where missing, the endpoint's zone group, and acr-private-dns-link closed. */
import * as assert from "node:assert/strict";
import { checkIpv4, linkName, planZone } from "../../components/private-registry-dns";
import { idOf } from "../fixtures/azure";
import { privateLinkStack } from "../fixtures/network";
import { assertSilent, assertViolation, usePolicyPack } from "../harness";
import { usePulumiMocks, valueOf, useComponents, asDeployed } from "../harness/mocks";

/** The healthy private-link stack's parts: aks-prod in the spoke, contosoacr's endpoint in the hub. */
const { hub, spoke, zone, aks, pe } = privateLinkStack();

describe("PrivateRegistryDns", () => {
  const mocks = usePulumiMocks();
  const { run } = usePolicyPack();
  const components = useComponents();

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
    assert.throws(() => checkIpv4("10.0.1.0/24"), /aRecords holds "10.0.1.0\/24"; expected one IPv4 address/);
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
