/** HubFirewallRegistryRule: the Allow rule from the cluster subnets to the endpoint IPs, what it refuses, and aks-acr-hub-firewall closed. */
import * as assert from "node:assert/strict";
import { checkAddresses, planFirewallPolicy } from "../../components/hub-firewall-registry-rule";
import { armId, kubeletPull } from "../fixtures/azure";
import { azureFirewall, peering, privateLinkStack } from "../fixtures/network";
import { assertSilent, assertViolation, setPath, usePolicyPack, withProps } from "../harness";
import { usePulumiMocks, valueOf, useComponents, asDeployed } from "../harness/mocks";

/** The healthy private-link stack's parts: aks-prod in the spoke, contosoacr's endpoint in the hub. */
const { hub, spoke, aks, acr, pe } = privateLinkStack();

describe("HubFirewallRegistryRule", () => {
  const mocks = usePulumiMocks();
  const { run } = usePolicyPack();
  const components = useComponents();

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
    const firewall = azureFirewall("fw-hub", { privateIp: "10.0.2.4" });
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
