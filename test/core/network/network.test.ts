// Where a VNet's names are resolved (dnsPathOf) and which VNets a privatelink zone is linked to
// (zoneLinks): the facts the resolve step of the pull path reads.
import * as assert from "node:assert/strict";
import { dnsPathOf, privateLinkZones, zoneLinks } from "../../../core/network/network";
import { parseArmId } from "../../../core/stack/arm-id";
import { buildTopology } from "../../../core/stack/topology";
import { UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import { toStackResource } from "../../../offline/resources";
import { idOf } from "../../fixtures/azure";
import { HUB, privateZone, SPOKE, vnet, vnetLink } from "../../fixtures/network";
import { PolicyResourceInput } from "../../harness";
import { setPath, withProps } from "../../harness/mutate";

const topologyOf = (resources: PolicyResourceInput[]) => buildTopology(resources.map(toStackResource));
const idKey = (r: PolicyResourceInput) => parseArmId(idOf(r))!;
const withDns = (network: PolicyResourceInput, servers: unknown) =>
  withProps(network, (p) => setPath(p, "dhcpOptions.dnsServers", servers));

describe("dnsPathOf: where a VNet's names are resolved", () => {
  const cases: [string, PolicyResourceInput[], ReturnType<typeof dnsPathOf>][] = [
    ["a VNet the stack does not show: Azure DNS, Azure's default", [HUB], { kind: "azure" }],
    [
      "a VNet without custom DNS servers: Azure DNS, from the zones linked to it",
      [SPOKE, HUB],
      { kind: "azure" },
    ],
    ["an empty server list: Azure DNS", [withDns(SPOKE, []), HUB], { kind: "azure" }],
    [
      "servers in the hub: the hub's resolver, answering from the hub's links",
      [withDns(SPOKE, ["10.0.0.4", "10.0.0.5"]), HUB],
      { kind: "servers", servers: ["10.0.0.4", "10.0.0.5"], vnets: [idKey(HUB)] },
    ],
    [
      "a server in no VNet shown (on premises): elsewhere, which zone answers is not known",
      [withDns(SPOKE, ["10.0.0.4", "192.168.1.10"]), HUB],
      { kind: "elsewhere", servers: ["10.0.0.4", "192.168.1.10"] },
    ],
    ["servers not known yet (a preview): not known", [withDns(SPOKE, UNKNOWN_WIRE_VALUE), HUB], UNKNOWN],
  ];
  for (const [behaviour, resources, expected] of cases) {
    it(behaviour, () => {
      assert.deepEqual(dnsPathOf(topologyOf(resources), idKey(SPOKE)), expected);
    });
  }
  it("names each resolver VNet once, however many of its servers are listed", () => {
    const other = vnet("vnet-dns", "10.20.0.0/16", { dns: "10.20.0.0/24" }, "rg-dns");
    const path = dnsPathOf(
      topologyOf([withDns(SPOKE, ["10.0.0.4", "10.20.0.4", "10.0.0.5"]), HUB, other]),
      idKey(SPOKE),
    );
    assert.deepEqual(path, {
      kind: "servers",
      servers: ["10.0.0.4", "10.20.0.4", "10.0.0.5"],
      vnets: [idKey(HUB), idKey(other)],
    });
  });
});

describe("zoneLinks: the VNets a privatelink zone is linked to", () => {
  const zone = privateZone();
  const otherZone = privateZone("privatelink.blob.core.windows.net");
  const linksOf = (resources: PolicyResourceInput[]) => {
    const topo = topologyOf(resources);
    const info = privateLinkZones(topo).find((z) => z.name === "privatelink.azurecr.io")!;
    const { vnets, pending } = zoneLinks(topo, info);
    return { vnets: vnets.map((v) => v.key), pending };
  };
  const cases: [string, PolicyResourceInput[], { vnets: string[]; pending: boolean }][] = [
    ["no link: no VNet", [zone, HUB, SPOKE], { vnets: [], pending: false }],
    [
      "a link to each VNet: both",
      [zone, HUB, SPOKE, vnetLink(zone, HUB), vnetLink(zone, SPOKE)],
      { vnets: [idKey(HUB).key, idKey(SPOKE).key], pending: false },
    ],
    [
      "another zone's link is not this zone's",
      [zone, otherZone, HUB, SPOKE, vnetLink(zone, HUB), vnetLink(otherZone, SPOKE)],
      { vnets: [idKey(HUB).key], pending: false },
    ],
    [
      "a link whose VNet is not known yet (a preview) leaves the links pending",
      [
        zone,
        HUB,
        SPOKE,
        vnetLink(zone, HUB),
        withProps(vnetLink(zone, SPOKE), (p) => setPath(p, "virtualNetwork.id", UNKNOWN_WIRE_VALUE)),
      ],
      { vnets: [idKey(HUB).key], pending: true },
    ],
  ];
  for (const [behaviour, resources, expected] of cases) {
    it(behaviour, () => assert.deepEqual(linksOf(resources), expected));
  }
});
