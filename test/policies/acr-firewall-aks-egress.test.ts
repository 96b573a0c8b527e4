import * as assert from "node:assert/strict";
import {
  kubeletPull,
  managedCluster,
  prop,
  publicIp,
  registry,
  registryPrivateEndpoint,
} from "../fixtures/azure";
import { azureFirewall, HUB, SPOKE, peering } from "../fixtures/network";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  PolicyResourceInput,
  setPath,
  usePolicy,
  withProps,
  withUnknown,
} from "../harness";

const POLICY = "acr-firewall-aks-egress";

describe(POLICY, () => {
  const { pack, run } = usePolicy(POLICY);

  const aks = managedCluster("aks-prod");
  const nodeRg = prop(aks, "nodeResourceGroup");
  const egress = publicIp("kubernetes-egress", "20.50.3.7", nodeRg);
  const restricted = (...ipRules: string[]) =>
    registry("contosoacr", { networkRules: { defaultAction: "Deny", ipRules } });
  const stack = (acr: PolicyResourceInput, ...more: PolicyResourceInput[]) => [
    acr,
    aks,
    egress,
    kubeletPull(aks, acr),
    ...more,
  ];

  it("is silent when the registry admits the load balancer's egress IP, or a range holding it", async () => {
    assertSilent(await run(stack(restricted("20.50.3.7"))));
    assertSilent(await run(stack(restricted("20.50.0.0/16"))));
  });

  it("is silent for a registry open to public access", async () => {
    assertSilent(await run(stack(registry("contosoacr"))));
  });

  it("reports the egress IP the registry's rules leave out, with the network-rule command", async () => {
    assertViolation(
      await run(stack(restricted("20.50.4.0/24"))),
      "mandatory",
      aks,
      "403 Forbidden",
      "do not admit the cluster's egress IP 20.50.3.7 (outboundType loadBalancer: the load balancer's outbound IPs)",
      "RegistryEgressAccess",
      "az acr network-rule add -n contosoacr --ip-address 20.50.3.7",
    );
  });

  it("reads a NAT gateway's IPs, and a hub firewall's for user-defined routing", async () => {
    const natIp = publicIp("nat-egress", "51.1.2.3", nodeRg);
    const natCluster = withProps(aks, (p) => {
      setPath(p, "networkProfile.outboundType", "managedNATGateway");
      setPath(p, "networkProfile.natGatewayProfile", { effectiveOutboundIPs: [{ id: prop(natIp, "id") }] });
    });
    assertViolation(
      await run([restricted("20.50.3.7"), natCluster, natIp]),
      "mandatory",
      natCluster,
      "51.1.2.3",
      "managed NAT gateway",
    );
    const fwIp = publicIp("fw-egress", "52.9.9.9", "rg-hub");
    const firewall = azureFirewall("fw-hub", { privateIp: "10.0.2.4", publicIpId: prop(fwIp, "id") });
    const udrCluster = withProps(aks, (p) => setPath(p, "networkProfile.outboundType", "userDefinedRouting"));
    assertViolation(
      await run([restricted("20.50.3.7"), udrCluster, firewall, fwIp]),
      "mandatory",
      udrCluster,
      "52.9.9.9",
      "hub firewall's public IPs",
    );
    assertSilent(await run([restricted("52.9.9.9"), udrCluster, firewall, fwIp]));
  });

  it("checks egress IPs config adds", async () => {
    assertViolation(
      await run(stack(restricted("20.50.3.7")), { egressIps: ["40.1.1.1"] }),
      "mandatory",
      aks,
      "40.1.1.1",
    );
  });

  it("reports public access disabled with no private endpoint the cluster reaches", async () => {
    const closed = registry("contosoacr", { publicNetworkAccess: "Disabled" });
    assertViolation(
      await run(stack(closed)),
      "mandatory",
      aks,
      "public network access is Disabled",
      "no private endpoint",
    );
    const spoke = SPOKE;
    const hub = HUB;
    const pe = registryPrivateEndpoint("pe-acr", closed);
    // With the endpoint in an unpeered hub, the path is missing, not the registry's admission: the
    // finding is aks-acr-vnet-peering's, once, and this policy says nothing of it.
    assertSilent(await run(stack(closed, spoke, hub, pe)));
    assertViolation(
      (await pack().analyzeStack(stack(closed, spoke, hub, pe))).filter(
        (d) => d.policyName === "aks-acr-vnet-peering",
      ),
      "mandatory",
      aks,
      "i/o timeout",
      "no peering from 'vnet-aks-prod' to 'vnet-hub'",
    );
    assertSilent(await run(stack(closed, spoke, hub, pe, peering(spoke, hub), peering(hub, spoke))));
  });

  it("says nothing mandatory when the registry shows a private endpoint another stack owns", async () => {
    // GIVEN public access disabled, and the registry's record listing an approved connection to a
    // private endpoint the networking stack declares: the path may well exist, out of this stack's sight
    const elsewhere = withProps(registry("contosoacr", { publicNetworkAccess: "Disabled" }), (p) => {
      p.privateEndpointConnections = [
        {
          id: `${p.id}/privateEndpointConnections/pe-acr.1a2b`,
          privateEndpoint: {
            id: "/subscriptions/9c1e7b3a-2f4d-4c8e-b6a1-0d9e8f7c6b5a/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-acr",
          },
          privateLinkServiceConnectionState: { status: "Approved" },
        },
      ];
    });
    assertNoMandatory(await run(stack(elsewhere)));
    // AND the unverified half says what is not known, and what makes it certain
    assertViolation(
      await pack()
        .analyzeAll(stack(elsewhere))
        .then((d) => d.filter((x) => x.policyName === `${POLICY}-unverified`)),
      "advisory",
      aks,
      "unless one of the registry's private endpoints this stack does not show ('pe-acr')",
      "publicNetworkAccess: Disabled",
      "AksAcrObserver",
    );
    // AND a registry whose record lists no connection at all is still certain to refuse the cluster
    const none = withProps(registry("contosoacr", { publicNetworkAccess: "Disabled" }), (p) => {
      p.privateEndpointConnections = [];
    });
    assertViolation(await run(stack(none)), "mandatory", aks, "no private endpoint");
  });

  it("reports nothing mandatory while the egress IP is not known", async () => {
    assertNoMandatory(await run([restricted("20.50.4.0/24"), aks, withUnknown(egress, "ipAddress")]));
  });

  it("fails to configure egressIps that are not IPv4 addresses", async () => {
    await pack().configure({ [POLICY]: { egressIps: ["not-an-ip"] } });
    await assert.rejects(
      pack().analyzeStack(stack(restricted("20.50.3.7"))),
      /egressIps.*expected an array of IPv4 addresses/,
    );
  });
});
