// aks-acr-hub-firewall and aks-subnet-nsg-acr: what filters a pull on its way out of the spoke.
import * as assert from "node:assert/strict";
import { armId, kubeletPull, managedCluster, registry, registryPrivateEndpoint } from "../fixtures/azure";
import { outbound443Rule as armOutbound443Rule } from "../fixtures/arm";
import { HUB, nsg, peering, routeTable, ruleCollectionGroup, SPOKE } from "../fixtures/network";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  Diagnostic,
  PolicyResourceInput,
  setPath,
  usePolicyPack,
  withProps,
  withUnknown,
} from "../harness";

const networkRule = (sources: string[], destinations: string[], ports = ["443"]) => ({
  ruleType: "NetworkRule",
  name: "acr",
  sourceAddresses: sources,
  destinationAddresses: destinations,
  destinationPorts: ports,
  ipProtocols: ["TCP"],
});

/** An application rule allowing every registry FQDN over HTTPS from anywhere. */
const acrFqdns = {
  ruleType: "ApplicationRule",
  name: "acr",
  sourceAddresses: ["*"],
  targetFqdns: ["*.azurecr.io"],
  protocols: [{ protocolType: "Https", port: 443 }],
};

const ruleGroup = (rules: Record<string, unknown>[], action: "Allow" | "Deny" = "Allow") =>
  ruleCollectionGroup("rcg-aks", 200, [{ name: "aks-egress", priority: 200, action, rules }]);

/** The one diagnostic is @pulumi/policy's "can't run ... during preview", naming what it waits for. */
function assertWaitsForPreview(diags: Diagnostic[], waitingFor: string): void {
  assert.deepEqual(
    diags.map((d) => d.enforcementLevel),
    ["advisory"],
    diags.map((d) => d.message).join("\n"),
  );
  assert.match(diags[0].message, /can't run policy '[a-z-]+' from policy pack .* during preview/);
  assert.ok(diags[0].message.includes(waitingFor), `waits for ${waitingFor}: ${diags[0].message}`);
}

describe("what filters a pull on its way out", () => {
  const { run } = usePolicyPack();

  const hub = HUB;
  const spoke = SPOKE;
  const udr = withProps(managedCluster("aks-prod"), (p) =>
    setPath(p, "networkProfile.outboundType", "userDefinedRouting"),
  );
  const acr = registry("contosoacr", { publicNetworkAccess: "Disabled" });
  const pe = registryPrivateEndpoint("pe-contosoacr", acr);
  const base = [hub, spoke, udr, acr, kubeletPull(udr, acr), pe, peering(hub, spoke), peering(spoke, hub)];

  describe("aks-acr-hub-firewall", () => {
    const P = "aks-acr-hub-firewall";
    it("is silent when a network rule allows the subnets to the endpoint IPs on 443", async () => {
      assertSilent(await run(P, [...base, ruleGroup([networkRule(["10.10.0.0/16"], ["10.0.1.0/24"])])]));
    });
    it("is silent when an application rule allows the registry's FQDNs", async () => {
      assertSilent(await run(P, [...base, ruleGroup([acrFqdns])]));
    });
    it("reports endpoint IPs no rule allows, with the rule to add", async () => {
      assertViolation(
        await run(P, [...base, ruleGroup([networkRule(["10.10.0.0/22"], ["10.0.1.4"])])]),
        "mandatory",
        udr,
        "dial tcp 10.0.1.5:443: i/o timeout",
        "(10.10.0.0/22)",
        "HubFirewallRegistryRule",
        "--destination-addresses 10.0.1.5 --destination-ports 443 --ip-protocols TCP",
      );
    });
    it("does not count a rule on another port, or a deny collection", async () => {
      assertViolation(
        await run(P, [...base, ruleGroup([networkRule(["*"], ["*"], ["80"])])]),
        "mandatory",
        udr,
        "i/o timeout",
      );
      assertViolation(
        await run(P, [...base, ruleGroup([networkRule(["*"], ["*"])], "Deny")]),
        "mandatory",
        udr,
        "i/o timeout",
      );
    });
    describe("IP groups and the order Azure Firewall applies rules in", () => {
      const ipGroup = (name: string, addresses: string[]): PolicyResourceInput => ({
        type: "azure-native:network:IpGroup",
        name,
        props: {
          id: armId("rg-hub", "Microsoft.Network/ipGroups", name),
          name,
          type: "Microsoft.Network/ipGroups",
          ipAddresses: addresses,
        },
      });
      const fromGroup = (group: string) => ({
        ruleType: "NetworkRule",
        name: "acr-from-group",
        sourceIpGroups: [armId("rg-hub", "Microsoft.Network/ipGroups", group)],
        destinationAddresses: ["10.0.1.0/24"],
        destinationPorts: ["443"],
        ipProtocols: ["TCP"],
      });
      /** A policy's rule collection group with collections `[name, priority, action, rules]`. */
      const group = (
        name: string,
        priority: number,
        collections: [string, number, "Allow" | "Deny", Record<string, unknown>[]][],
      ) =>
        ruleCollectionGroup(
          name,
          priority,
          collections.map(([n, prio, action, rules]) => ({ name: n, priority: prio, action, rules })),
        );
      const allowAll = networkRule(["10.10.0.0/16"], ["10.0.1.0/24"]);
      const denyAll = networkRule(["*"], ["*"]);

      it("reads an Allow rule whose sources are an IP group holding the subnets", async () => {
        const rcg = group("rcg-aks", 200, [["aks-egress", 200, "Allow", [fromGroup("ipg-spoke")]]]);
        assertSilent(await run(P, [...base, rcg, ipGroup("ipg-spoke", ["10.10.0.0/16"])]));
      });

      it("says nothing mandatory about an Allow rule whose IP group the stack does not show", async () => {
        const rcg = group("rcg-aks", 200, [["aks-egress", 200, "Allow", [fromGroup("ipg-elsewhere")]]]);
        assertNoMandatory(await run(P, [...base, rcg]));
        // AND the unverified half names the rule and what to check, not "during preview"
        assertViolation(
          await run(`${P}-unverified`, [...base, rcg]),
          "advisory",
          udr,
          "i/o timeout",
          "unless rule collection 'aks-egress'",
          "names an IP group this stack does not show",
          "az network ip-group show",
        );
      });

      it("still reports an IP group that leaves the subnets out", async () => {
        const rcg = group("rcg-aks", 200, [["aks-egress", 200, "Allow", [fromGroup("ipg-spoke")]]]);
        assertViolation(
          await run(P, [...base, rcg, ipGroup("ipg-spoke", ["10.99.0.0/16"])]),
          "mandatory",
          udr,
          "i/o timeout",
        );
      });

      it("reports a Deny collection that comes first by priority, naming it", async () => {
        const rcg = group("rcg-aks", 200, [
          ["deny-everything", 100, "Deny", [denyAll]],
          ["aks-egress", 200, "Allow", [allowAll]],
        ]);
        assertViolation(await run(P, [...base, rcg]), "mandatory", udr, "i/o timeout", "'deny-everything'");
      });

      it("reports a Deny in a rule collection group of higher priority than the Allow's", async () => {
        const deny = group("rcg-platform", 100, [["deny-everything", 500, "Deny", [denyAll]]]);
        const allow = group("rcg-aks", 200, [["aks-egress", 100, "Allow", [allowAll]]]);
        assertViolation(await run(P, [...base, allow, deny]), "mandatory", udr, "'deny-everything'");
      });

      it("is silent when the Allow comes first and the Deny after it", async () => {
        const rcg = group("rcg-aks", 200, [
          ["aks-egress", 100, "Allow", [allowAll]],
          ["deny-everything", 4000, "Deny", [denyAll]],
        ]);
        assertSilent(await run(P, [...base, rcg]));
      });

      it("waits for the preview to know a Deny group's priority, instead of crashing", async () => {
        // GIVEN a Deny group whose priority the preview does not know yet, beside a matching Allow
        const deny = withUnknown(
          group("rcg-platform", 100, [["deny-everything", 500, "Deny", [denyAll]]]),
          "priority",
        );
        const allow = group("rcg-aks", 200, [["aks-egress", 100, "Allow", [allowAll]]]);
        // THEN which decides first is not known: the policy waits for it, naming it
        assertWaitsForPreview(
          await run(P, [...base, allow, deny]),
          "'deny-everything' of 'rcg-platform': its priority",
        );
      });

      it("waits for the preview to know a Deny collection's priority, instead of crashing", async () => {
        const rcg = withUnknown(
          group("rcg-aks", 200, [
            ["deny-everything", 100, "Deny", [denyAll]],
            ["aks-egress", 200, "Allow", [allowAll]],
          ]),
          "ruleCollections.0.priority",
        );
        assertWaitsForPreview(await run(P, [...base, rcg]), "'deny-everything' of 'rcg-aks': its priority");
      });

      it("is silent when every rule that matches allows, whatever priority is not known", async () => {
        const allow = withUnknown(
          group("rcg-aks", 200, [["aks-egress", 100, "Allow", [allowAll]]]),
          "priority",
        );
        assertSilent(await run(P, [...base, allow]));
      });

      it("still reports a Deny that decides whatever an unknown priority is, when nothing matching allows", async () => {
        const deny = withUnknown(
          group("rcg-platform", 100, [["deny-everything", 500, "Deny", [denyAll]]]),
          "priority",
        );
        assertViolation(await run(P, [...base, deny]), "mandatory", udr, "'deny-everything'");
      });

      it("applies network rules before application rules, whatever their priorities", async () => {
        const rcg = group("rcg-aks", 200, [
          ["allow-acr-fqdns", 100, "Allow", [acrFqdns]],
          ["deny-everything", 4000, "Deny", [denyAll]],
        ]);
        assertViolation(await run(P, [...base, rcg]), "mandatory", udr, "'deny-everything'");
      });
    });

    it("judges only clusters that route through the firewall, and only when the stack shows one", async () => {
      const lb = managedCluster("aks-prod");
      assertSilent(await run(P, [...base.filter((r) => r !== udr), lb, ruleGroup([])]));
      assertSilent(await run(P, base));
    });
    it("reports nothing mandatory while the outbound type is not known", async () => {
      assertNoMandatory(
        await run(P, [
          ...base.filter((r) => r !== udr),
          withUnknown(udr, "networkProfile.outboundType"),
          ruleGroup([]),
        ]),
      );
    });
  });

  describe("aks-subnet-nsg-acr", () => {
    const P = "aks-subnet-nsg-acr";
    const nodesNsg = (rules: Record<string, unknown>[]) => nsg("nsg-nodes", rules);
    const guarded = withProps(spoke, (p) => {
      (p.subnets as Record<string, unknown>[])[0].networkSecurityGroup = {
        id: armId("rg-aks", "Microsoft.Network/networkSecurityGroups", "nsg-nodes"),
      };
    });
    const rule = (name: string, access: "Allow" | "Deny", priority: number, dest: string) =>
      armOutbound443Rule(name, access, priority, dest);
    const stack = (...more: PolicyResourceInput[]) => [...base.filter((r) => r !== spoke), guarded, ...more];

    it("is silent when an allow comes before the deny", async () => {
      assertSilent(
        await run(
          P,
          stack(
            nodesNsg([rule("allow-acr", "Allow", 100, "10.0.1.0/24"), rule("deny-all", "Deny", 4000, "*")]),
          ),
        ),
      );
    });
    it("reports a deny ahead of any allow, with the rule to add", async () => {
      assertViolation(
        await run(
          P,
          stack(
            nodesNsg([rule("deny-all", "Deny", 200, "*"), rule("allow-acr", "Allow", 300, "10.0.1.0/24")]),
          ),
        ),
        "advisory",
        udr,
        "NSG 'nsg-nodes' rule 'deny-all' (priority 200) denies outbound TCP 443 to 10.0.1.4",
        "az network nsg rule create",
      );
    });
    it("waits for the preview to know a rule's priority, instead of crashing", async () => {
      const pending = withUnknown(
        nodesNsg([rule("deny-all", "Deny", 200, "*"), rule("allow-acr", "Allow", 300, "10.0.1.0/24")]),
        "securityRules.1.priority",
      );
      assertWaitsForPreview(await run(P, stack(pending)), "securityRules");
    });

    it("reports a route to an appliance the stack does not know, unless config names it", async () => {
      const table = routeTable("rt-nodes", [
        {
          name: "to-nva",
          addressPrefix: "10.0.0.0/16",
          nextHopType: "VirtualAppliance",
          nextHopIpAddress: "10.0.9.9",
        },
      ]);
      const routed = withProps(guarded, (p) => {
        (p.subnets as Record<string, unknown>[])[0].routeTable = {
          id: armId("rg-aks", "Microsoft.Network/routeTables", "rt-nodes"),
        };
      });
      const s = [...base.filter((r) => r !== spoke), routed, table];
      assertViolation(
        await run(P, s),
        "advisory",
        udr,
        "route table 'rt-nodes' sends 10.0.0.0/16 to virtual appliance 10.0.9.9",
        // The article's cause 7: the symptom a route through an unvalidated appliance shows.
        `'Get "https://contosoacr.azurecr.io/v2/": net/http: TLS handshake timeout'`,
        "validate that it passes TLS to contosoacr.azurecr.io",
      );
      assertSilent(await run(P, s, { knownApplianceIps: ["10.0.9.9"] }));
    });
  });
});
