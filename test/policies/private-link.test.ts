import * as assert from "node:assert/strict";
// acr-private-dns-link and aks-acr-vnet-peering on a hub-and-spoke stack: the cluster in a spoke,
// the registry's private endpoint in the hub.
import { observer } from "../fixtures/azure";
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";
import { aRecord, peering, privateLinkStack, vnetLink } from "../fixtures/network";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  usePolicyPack,
  withProps,
  withUnknown,
} from "../harness";

describe("the private-link path", () => {
  const { run } = usePolicyPack();

  const { hub, spoke, aks, pe, zone, hubToSpoke, spokeToHub, all: healthy } = privateLinkStack();
  const without = (...names: string[]) => healthy.filter((r) => !names.includes(r.name));

  describe("acr-private-dns-link", () => {
    const P = "acr-private-dns-link";
    it("is silent when the zone is linked to the cluster's VNet and serves the endpoint", async () => {
      assertSilent(await run(P, healthy));
    });
    it("reports the cluster VNet the zone is not linked to, with the link command", async () => {
      assertViolation(
        await run(P, without("link-vnet-aks-prod")),
        "mandatory",
        aks,
        "403 Forbidden",
        "VNet 'vnet-aks-prod' has no virtual-network link to private DNS zone privatelink.azurecr.io",
        "PrivateRegistryDns",
        "az network private-dns link vnet create -g rg-dns -z privatelink.azurecr.io",
      );
    });
    it("reports a zone that holds no record for the registry", async () => {
      assertViolation(
        await run(P, without("pe-contosoacr-dns")),
        "mandatory",
        aks,
        "holds no A record for 'contosoacr'",
        "contosoacr.westeurope.data",
        "dns-zone-group create",
      );
    });
    it("accepts A records written by hand instead of a zone group", async () => {
      assertSilent(
        await run(P, [
          ...without("pe-contosoacr-dns"),
          aRecord(zone, "contosoacr", "10.0.1.4"),
          aRecord(zone, "contosoacr.westeurope.data", "10.0.1.5"),
        ]),
      );
    });
    it("reports hand-written A records that leave out the registry's data endpoint", async () => {
      assertViolation(
        await run(P, [...without("pe-contosoacr-dns"), aRecord(zone, "contosoacr", "10.0.1.4")]),
        "mandatory",
        aks,
        "holds an A record for 'contosoacr' but none for 'contosoacr.westeurope.data'",
        "az network private-dns record-set a add-record -g rg-dns -z privatelink.azurecr.io -n contosoacr.westeurope.data",
      );
    });
    describe("a linked zone that does not hold the name answers NXDOMAIN", () => {
      // GIVEN the zone linked to the spoke, its records left out (no zone group, none by hand)
      const bare = without("pe-contosoacr-dns");
      const open = withProps(
        healthy.find((r) => r.name === "contosoacr")!,
        (p) => {
          p.publicNetworkAccess = "Enabled";
          p.networkRuleSet = { defaultAction: "Allow", ipRules: [] };
        },
      );
      const redirecting = withProps(
        healthy.find((r) => r.name === "link-vnet-aks-prod")!,
        (p) => {
          p.resolutionPolicy = "NxDomainRedirect";
        },
      );
      it("fails with no such host, even where the public path would admit the cluster", async () => {
        for (const stack of [bare, [...bare.filter((r) => r.name !== "contosoacr"), open]])
          assertViolation(
            await run(P, stack),
            "mandatory",
            aks,
            'will fail with ErrImagePull: "dial tcp: lookup contosoacr.azurecr.io: no such host"',
            "answers NXDOMAIN",
          );
      });
      it("falls back to public DNS where the link says NxDomainRedirect: then the public path decides", async () => {
        const redirected = bare.filter((r) => r.name !== "link-vnet-aks-prod");
        assertNoMandatory(
          await run(P, [...redirected.filter((r) => r.name !== "contosoacr"), open, redirecting]),
        );
        assertViolation(
          await run(P, [...redirected, redirecting]),
          "mandatory",
          aks,
          "403 Forbidden",
          "public address",
        );
      });
    });
    it("reports a hand-written A record on an address the endpoint does not have: the pull times out", async () => {
      const d = assertViolation(
        await run(P, [
          ...without("pe-contosoacr-dns"),
          aRecord(zone, "contosoacr", "10.0.1.9"),
          aRecord(zone, "contosoacr.westeurope.data", "10.0.1.5"),
        ]),
        "mandatory",
        aks,
        'will fail with ErrImagePull: "dial tcp 10.0.1.9:443: i/o timeout"',
        "A record 'contosoacr' points at 10.0.1.9, but private endpoint 'pe-contosoacr' answers contosoacr.azurecr.io at 10.0.1.4",
        "add-record -g rg-dns -z privatelink.azurecr.io -n contosoacr -a 10.0.1.4",
        "remove-record -g rg-dns -z privatelink.azurecr.io -n contosoacr -a 10.0.1.9",
      );
      assert.ok(!d.message.includes("none for"), d.message);
    });
    it("says nothing mandatory while a record's address is not known", async () => {
      assertNoMandatory(
        await run(P, [
          ...without("pe-contosoacr-dns"),
          withUnknown(aRecord(zone, "contosoacr", "10.0.1.9"), "aRecords"),
          aRecord(zone, "contosoacr.westeurope.data", "10.0.1.5"),
        ]),
      );
    });
    it("reports a geo-replica's data endpoint the hand-written records leave out", async () => {
      // GIVEN the endpoint serving a replica in North Europe too (customDnsConfigs lists its data endpoint)
      const replicated = withProps(pe, (p) =>
        (p.customDnsConfigs as unknown[]).push({
          fqdn: "contosoacr.northeurope.data.azurecr.io",
          ipAddresses: ["10.0.1.6"],
        }),
      );
      const byHand = [
        ...without("pe-contosoacr-dns", pe.name),
        replicated,
        aRecord(zone, "contosoacr", "10.0.1.4"),
        aRecord(zone, "contosoacr.westeurope.data", "10.0.1.5"),
      ];
      assertViolation(
        await run(P, byHand),
        "mandatory",
        aks,
        "holds an A record for 'contosoacr' but none for 'contosoacr.northeurope.data'",
        "one per replica's region",
        "add-record -g rg-dns -z privatelink.azurecr.io -n contosoacr.northeurope.data -a 10.0.1.6",
      );
      assertSilent(await run(P, [...byHand, aRecord(zone, "contosoacr.northeurope.data", "10.0.1.6")]));
    });
    describe("custom DNS servers (dhcpOptions.dnsServers)", () => {
      const customDns = (servers: string[]) =>
        withProps(spoke, (p) => (p.dhcpOptions = { dnsServers: servers }));
      const withSpoke = (v: typeof spoke) => [...without(spoke.name, "link-vnet-aks-prod"), v];

      it("judges the hub's link when the spoke resolves through a resolver in the hub (Cloud Adoption Framework)", async () => {
        // GIVEN the zone linked to the hub only, and the spoke's DNS server in the hub's range
        assertSilent(await run(P, withSpoke(customDns(["10.0.3.4"]))));
      });

      it("reports the resolver's VNet when it lacks the link, naming the servers", async () => {
        const v = customDns(["10.0.3.4"]);
        assertViolation(
          await run(P, [...withSpoke(v).filter((r) => r.name !== "link-vnet-hub")]),
          "mandatory",
          aks,
          "resolves through DNS servers 10.0.3.4 in VNet 'vnet-hub', which has no virtual-network link",
          "PrivateRegistryDns for VNet 'vnet-hub'",
        );
      });

      it("says nothing mandatory when the DNS servers are in no VNet the stack shows; the unverified half says why", async () => {
        const stack = withSpoke(customDns(["192.168.10.4"]));
        assertNoMandatory(await run(P, stack));
        assertViolation(
          await run(`${P}-unverified`, stack),
          "advisory",
          aks,
          "DNS servers of its VNet 'vnet-aks-prod' (192.168.10.4)",
          "is not known here",
          "linked to 'vnet-hub'",
        );
      });

      it("waits while the DNS servers are not known", async () => {
        assertNoMandatory(await run(P, withSpoke(withUnknown(spoke, "dhcpOptions"))));
      });

      it("leaves the unverified half silent where the DNS path is known", async () => {
        assertSilent(await run(`${P}-unverified`, healthy));
        assertSilent(await run(`${P}-unverified`, withSpoke(customDns(["10.0.3.4"]))));
      });
    });

    it("judges nothing when the zone is managed outside the stack", async () => {
      assertSilent(
        await run(
          P,
          without("zone-privatelink.azurecr.io", "link-vnet-aks-prod", "link-vnet-hub", "pe-contosoacr-dns"),
        ),
      );
    });
    describe("a link planned into a zone of the same name (every registry zone is privatelink.azurecr.io)", () => {
      const zoneSub = String(zone.props.id).split("/")[2];
      const otherSub = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";
      const providerFor = (sub: string) => ({
        type: "pulumi:providers:azure-native",
        name: `subscription-${sub}`,
        props: { subscriptionId: sub },
      });
      /** A link as the program plans it: plain names, its id not known yet, through `provider`. */
      const planned = (group: string, provider: ReturnType<typeof providerFor>) => ({
        type: "azure-native:privatedns:VirtualNetworkLink",
        name: "planned-link",
        props: {
          id: UNKNOWN_WIRE_VALUE,
          name: "vnet-aks-prod-link",
          resourceGroupName: group,
          privateZoneName: "privatelink.azurecr.io",
          virtualNetwork: { id: String(spoke.props.id) },
          registrationEnabled: false,
          location: "global",
        },
        provider,
      });
      it("counts it in the zone's resource group and subscription", async () => {
        const p = providerFor(zoneSub);
        assertSilent(await run(P, [...without("link-vnet-aks-prod"), p, planned("rg-dns", p)]));
      });
      it("does not count it in another resource group, or through a provider of another subscription", async () => {
        const here = providerFor(zoneSub);
        const there = providerFor(otherSub);
        for (const stack of [
          [here, planned("rg-elsewhere", here)],
          [there, planned("rg-dns", there)],
        ]) {
          assertViolation(
            await run(P, [...without("link-vnet-aks-prod"), ...stack]),
            "mandatory",
            aks,
            "VNet 'vnet-aks-prod' has no virtual-network link to private DNS zone privatelink.azurecr.io",
          );
        }
      });
    });

    it("reports nothing mandatory while a link's VNet is not known", async () => {
      assertNoMandatory(
        await run(P, [
          ...without("link-vnet-aks-prod"),
          withUnknown(vnetLink(zone, spoke), "virtualNetwork.id"),
        ]),
      );
    });
  });

  describe("aks-acr-vnet-peering", () => {
    const P = "aks-acr-vnet-peering";
    it("is silent with Connected peerings both ways", async () => {
      assertSilent(await run(P, healthy));
    });
    it("is silent on a side still Initiated from before its pair was created (its output until a refresh)", async () => {
      // GIVEN the spoke's side created first (Azure answered Initiated) and the hub's side after it
      // WHEN the pack reads the sides' outputs
      // THEN both sides exist and neither is Disconnected: Azure connected them
      assertSilent(await run(P, [...without(spokeToHub.name), peering(spoke, hub, "Initiated")]));
    });
    it("reports a missing direction, with the peering command", async () => {
      assertViolation(
        await run(P, without(hubToSpoke.name)),
        "mandatory",
        aks,
        "i/o timeout",
        "no peering from 'vnet-hub' to 'vnet-aks-prod'",
        "VnetPeeringPair",
        "az network vnet peering create",
      );
    });
    it("reports the missing side of a one-sided peering, not its Initiated echo; and a Disconnected one", async () => {
      // Azure shows Initiated while the remote side does not exist: the missing side is the fault.
      const d = assertViolation(
        await run(P, [...without(spokeToHub.name, hubToSpoke.name), peering(spoke, hub, "Initiated")]),
        "mandatory",
        aks,
        "no peering from 'vnet-hub' to 'vnet-aks-prod'",
      );
      assert.ok(!d.message.includes("is Initiated"), d.message);
      assertViolation(
        await run(P, [...without(hubToSpoke.name), peering(hub, spoke, "Disconnected")]),
        "mandatory",
        aks,
        "is Disconnected, not Connected",
      );
    });
    it("reports a Connected peering that does not allow virtual network access (it carries no traffic)", async () => {
      const closed = withProps(spokeToHub, (p) => (p.allowVirtualNetworkAccess = false));
      assertViolation(
        await run(P, [...without(spokeToHub.name), closed]),
        "mandatory",
        aks,
        "has allowVirtualNetworkAccess: false",
        "i/o timeout",
      );
    });
    it("reads peerings inline in a VirtualNetwork and peerings the observer recorded", async () => {
      const inlineHub = withProps(hub, (p) => {
        p.virtualNetworkPeerings = [
          { name: "hub-to-spoke", remoteVirtualNetwork: { id: spoke.props.id }, peeringState: "Connected" },
        ];
      });
      const recorded = observer([
        {
          id: `${spoke.props.id}/virtualNetworkPeerings/spoke-to-hub`,
          name: "spoke-to-hub",
          type: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
          properties: { remoteVirtualNetwork: { id: hub.props.id }, peeringState: "Connected" },
        },
      ]);
      assertSilent(
        await run(P, [inlineHub, ...without("vnet-hub", hubToSpoke.name, spokeToHub.name), recorded]),
      );
    });
    it("is silent when the endpoint is in the cluster's own VNet", async () => {
      const local = withProps(
        pe,
        (p) => ((p.subnet as Record<string, unknown>).id = `${spoke.props.id}/subnets/nodes`),
      );
      assertSilent(await run(P, [...without(pe.name, hubToSpoke.name, spokeToHub.name), local]));
    });
    it("reports nothing mandatory while a peering's state is not known", async () => {
      assertNoMandatory(
        await run(P, [...without(spokeToHub.name), withUnknown(peering(spoke, hub), "peeringState")]),
      );
    });
    it("is silent on the side a deploy adds beside an existing one: the pair connects", async () => {
      // A preview of the fix: the new side's state (and id) unknown, the hub's side present.
      const planned = withUnknown(peering(spoke, hub), "peeringState", "id");
      assertSilent(await run(P, [...without(spokeToHub.name), planned]));
    });
    it("still says it cannot decide on a new side whose pair is missing, and reports the missing side", async () => {
      const planned = withUnknown(peering(spoke, hub), "peeringState");
      const diags = await run(P, [...without(spokeToHub.name, hubToSpoke.name), planned]);
      assert.deepEqual(
        diags.map((d) => d.enforcementLevel),
        ["mandatory", "advisory"],
        diags.map((d) => d.message).join("\n"),
      );
      assert.match(diags[0].message, /no peering from 'vnet-hub' to 'vnet-aks-prod'/);
    });
  });

  describe("the private endpoint's connection (aks-acr-vnet-peering)", () => {
    const P = "aks-acr-vnet-peering";
    const connection = (status: string | undefined, manual = false) =>
      withProps(pe, (p) => {
        const [c] = p.privateLinkServiceConnections as Record<string, unknown>[];
        const next = { ...c };
        if (status === undefined) delete next.privateLinkServiceConnectionState;
        else next.privateLinkServiceConnectionState = { status, description: "" };
        p.privateLinkServiceConnections = manual ? [] : [next];
        p.manualPrivateLinkServiceConnections = manual ? [next] : [];
      });
    for (const status of ["Pending", "Rejected", "Disconnected"]) {
      it(`reports a connection that is ${status}: it carries no traffic, whatever DNS and peering say`, async () => {
        const d = assertViolation(
          await run(P, [...without(pe.name), connection(status, true)]),
          "mandatory",
          aks,
          'will fail with ErrImagePull: "dial tcp 10.0.1.4:443: i/o timeout"',
          `'pe-contosoacr' is ${status}`,
          status === "Pending"
            ? // The registry's name for the connection is not the endpoint's: the command looks it up.
              "az acr private-endpoint-connection approve -r contosoacr -n $(az acr private-endpoint-connection list -r contosoacr"
            : "az network private-endpoint delete --ids",
        );
        assert.ok(!/no peering/.test(d.message), d.message);
      });
    }
    it("is silent on an Approved connection, manual or automatic", async () => {
      assertSilent(await run(P, [...without(pe.name), connection("Approved", true)]));
      assertSilent(await run(P, [...without(pe.name), connection("Approved")]));
    });
    it("leaves a manual connection no record shows approved to the advisory half: Azure starts it Pending", async () => {
      const diags = await run(P, [...without(pe.name), connection(undefined, true)]);
      assertNoMandatory(diags);
      const advisory = await run(`${P}-unverified`, [...without(pe.name), connection(undefined, true)]);
      assertViolation(advisory, "advisory", aks, "a manual connection nothing shows approved");
    });
    it("takes the registry's record of the connection over the endpoint's", async () => {
      // The registry's owner approved it: the endpoint's own record still says Pending until a refresh.
      const approved = withProps(
        healthy.find((r) => r.name === "contosoacr")!,
        (p) => {
          p.privateEndpointConnections = [
            {
              id: `${p.id}/privateEndpointConnections/pe-contosoacr-connection`,
              privateEndpoint: { id: pe.props.id },
              privateLinkServiceConnectionState: { status: "Approved" },
            },
          ];
        },
      );
      assertSilent(await run(P, [...without(pe.name, "contosoacr"), approved, connection("Pending", true)]));
    });
    it("says nothing mandatory while the connection's state is not known", async () => {
      assertNoMandatory(
        await run(P, [
          ...without(pe.name),
          withUnknown(connection("Pending", true), "manualPrivateLinkServiceConnections"),
        ]),
      );
    });
  });

  describe("a private endpoint beside a public path that admits the cluster", () => {
    it("is no DNS or peering failure: the spoke resolves the public name and pulls there", async () => {
      const open = withProps(
        healthy.find((r) => r.name === "contosoacr")!,
        (p) => {
          p.publicNetworkAccess = "Enabled";
          p.networkRuleSet = { defaultAction: "Allow", ipRules: [] };
        },
      );
      const stack = [...without("link-vnet-aks-prod", "contosoacr", spokeToHub.name), open];
      for (const policy of ["acr-private-dns-link", "aks-acr-vnet-peering", "acr-firewall-aks-egress"])
        assertNoMandatory(await run(policy, stack));
      // The same stack with public access disabled: the unlinked zone is the finding, the peering a later one.
      const closed = [...without("link-vnet-aks-prod", spokeToHub.name)];
      assertViolation(
        await run("acr-private-dns-link", closed),
        "mandatory",
        aks,
        "will fail with",
        "403 Forbidden",
      );
      assertViolation(
        await run("aks-acr-vnet-peering", closed),
        "mandatory",
        aks,
        "will still fail, once acr-private-dns-link's finding is fixed, with",
        "i/o timeout",
      );
      assertSilent(await run("acr-firewall-aks-egress", closed));
    });
  });
});
