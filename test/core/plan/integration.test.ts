import * as assert from "node:assert/strict";
import * as path from "node:path";
import { planIntegration } from "../../../core/plan/integration";
import { registryRuleCollections } from "../../../components/hub-firewall-registry-rule";
import { loadWorld } from "../../../offline/world";
import { REPO_ROOT } from "../../harness";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
const plan = (name: string, extra: Record<string, unknown> = {}, edit = (r: unknown[]) => r) => {
  const w = scenario(name);
  return planIntegration(
    edit(w.resources),
    { clusterId: w.config.clusterId, registryId: w.config.registryId, ...extra },
    "aks-prod",
  );
};

describe("core/integration: what AksAcrIntegration declares", () => {
  it("declares nothing for a healthy environment", () => {
    for (const name of ["healthy-public", "healthy-hub-spoke"]) {
      assert.deepEqual(plan(name), { peerings: [], commands: [], notes: [] }, name);
    }
  });

  it("peers only the missing side when the other is someone else's and Connected", () => {
    const p = plan("broken-hub-spoke");
    assert.equal(p.peerings.length, 1);
    assert.equal(p.peerings[0].onlyAToB, true);
    assert.match(p.peerings[0].vnetAId, /virtualNetworks\/vnet-aks$/);
    assert.match(p.peerings[0].vnetBId, /virtualNetworks\/vnet-hub$/);
    assert.equal(p.pullRole?.principalId, "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b");
    assert.deepEqual(
      p.dns?.vnetIds.map((v) => v.split("/").pop()),
      ["vnet-aks"],
    );
  });

  it("peers both ways when neither side exists, and gives commands for a Disconnected peering it does not own", () => {
    assert.equal(plan("vnet-peering-missing").peerings[0].onlyAToB, undefined);
    const p = plan("vnet-peering-disconnected");
    assert.deepEqual(p.peerings, []);
    assert.equal(p.commands.length, 1);
    assert.match(
      p.commands[0].command,
      /^az network vnet peering delete -g rg-hub --vnet-name vnet-hub -n to-vnet-aks && az network vnet peering create .* --allow-vnet-access$/,
    );
  });

  it("admits the cluster's egress IPs and the extra ones config names, never those already admitted", () => {
    assert.deepEqual(plan("registry-firewall-refuses-egress").egress, {
      ips: ["20.50.1.4"],
      currentRules: ["20.60.0.0/24"],
    });
    assert.deepEqual(
      plan("registry-firewall-refuses-egress", { egressIps: ["20.60.0.9", "20.70.1.1"] }).egress?.ips,
      ["20.50.1.4", "20.70.1.1"],
    );
  });

  it("allows the cluster subnets to the private-endpoint IPs on the hub firewall only when a policy is named", () => {
    assert.equal(plan("hub-firewall-blocks").firewall, undefined);
    const p = plan("hub-firewall-blocks", {
      firewallPolicyId: scenario("hub-firewall-blocks").config.firewallPolicyId,
    });
    assert.deepEqual(p.firewall?.sourceAddresses, ["10.10.0.0/22"]);
    assert.deepEqual(p.firewall?.privateEndpointIps, ["10.0.1.4", "10.0.1.5"]);
  });

  it("assigns Container Registry Repository Reader on an ABAC registry, and no role where the record does not say the mode", () => {
    assert.deepEqual(plan("abac-registry").pullRole, {
      principalId: "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b",
      abac: true,
    });
    const noMode = (rs: unknown[]) =>
      rs.map((r) => {
        const rec = r as { type: string; properties?: Record<string, unknown> };
        if (rec.type !== "microsoft.containerregistry/registries") return r;
        const { roleAssignmentMode: _m, ...properties } = rec.properties ?? {};
        void _m;
        return { ...rec, properties };
      });
    const p = plan("kubelet-without-acrpull", {}, noMode);
    assert.equal(p.pullRole, undefined);
    assert.match(
      p.notes.join("\n"),
      /roleAssignmentMode of 'contosoacr' was not read .* az acr show --ids \/subscriptions\//,
    );
  });

  it("links the zone to the VNet of the cluster's custom DNS servers; says so when they are in no VNet it read", () => {
    assert.deepEqual(
      plan("custom-dns-resolver").dns?.vnetIds.map((v) => v.split("/").pop()),
      ["vnet-hub"],
    );
    const onPremises = (rs: unknown[]) =>
      rs.map((r) => {
        const rec = r as { id: string; properties?: Record<string, unknown> };
        return rec.id.endsWith("/virtualNetworks/vnet-aks")
          ? { ...rec, properties: { ...rec.properties, dhcpOptions: { dnsServers: ["192.168.10.4"] } } }
          : r;
      });
    const p = plan("custom-dns-resolver", {}, onPremises);
    assert.equal(p.dns, undefined);
    assert.match(
      p.notes.join("\n"),
      /VNet 'vnet-aks' resolves names through DNS servers 192\.168\.10\.4 in no VNet .*\(168\.63\.129\.16\)/,
    );
  });

  it("says so when it finds no privatelink zone to link, naming privateDnsZoneId", () => {
    const p = plan("dns-zone-not-linked", {}, (rs) =>
      rs.filter((r) => !/privatednszones/i.test((r as { type: string }).type)),
    );
    assert.equal(p.dns, undefined);
    assert.match(
      p.notes.join("\n"),
      /no privatelink\.azurecr\.io zone serves 'contosoacr'.*set privateDnsZoneId/,
    );
  });

  it("puts the hub firewall rule ahead of a Deny that decides first, the same on every run, or says why it cannot", () => {
    const fw = { firewallPolicyId: scenario("hub-firewall-deny-first").config.firewallPolicyId };
    assert.equal(
      plan("hub-firewall-blocks", { firewallPolicyId: fw.firewallPolicyId }).firewall?.priority,
      200,
    );
    assert.equal(plan("hub-firewall-deny-first", fw).firewall?.priority, 149);
    // AND once its own group exists (Allow at 149), the next run plans the same group, not a new priority
    const ours = {
      id: `${fw.firewallPolicyId}/ruleCollectionGroups/aks-prod-acr`,
      name: "aks-prod-acr",
      type: "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
      properties: {
        priority: 149,
        ruleCollections: registryRuleCollections(["10.10.0.0/22"], ["10.0.1.4", "10.0.1.5"]),
      },
    };
    assert.equal(plan("hub-firewall-deny-first", fw, (rs) => [...rs, ours]).firewall?.priority, 149);
    // AND a group of another firewall policy at 149 takes no place in this one (one placement, the path's)
    const elsewhere = {
      id: `${fw.firewallPolicyId}-other/ruleCollectionGroups/theirs`,
      name: "theirs",
      type: "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
      properties: { priority: 149, ruleCollections: [] },
    };
    assert.equal(plan("hub-firewall-deny-first", fw, (rs) => [...rs, elsewhere]).firewall?.priority, 149);
    // AND a Deny at the first priority there is (100) cannot be preceded: a note and the command
    const at100 = (rs: unknown[]) =>
      rs.map((r) => {
        const rec = r as { id: string; properties?: Record<string, unknown> };
        return rec.id.endsWith("/ruleCollectionGroups/baseline")
          ? { ...rec, properties: { ...rec.properties, priority: 100 } }
          : r;
      });
    const p = plan("hub-firewall-deny-first", fw, at100);
    assert.equal(p.firewall, undefined);
    assert.match(
      p.notes.join("\n"),
      /rule collection 'deny-spokes' of 'baseline' denies .* \(priority 100\): no rule is declared/,
    );
    assert.match(
      p.commands.map((c) => c.command).join("\n"),
      /^az network firewall policy rule-collection-group collection add-filter-collection .* --action Allow .* --destination-addresses 10\.0\.1\.4 10\.0\.1\.5$/,
    );
  });

  it("says why when the pulling identity is not known, and uses principalObjectId when given", () => {
    const noSpRecord = (rs: unknown[]) =>
      rs.filter((r) => (r as { type: string }).type.toLowerCase() !== "microsoft.graph/serviceprincipals");
    const p = plan("sp-secret-expired", {}, (rs) =>
      noSpRecord(rs).filter((r) => !(r as { type: string }).type.endsWith("roleassignments")),
    );
    assert.equal(p.pullRole, undefined);
    assert.match(p.notes[0] ?? "", /pulling identity of 'aks-prod' is not known: set principalObjectId/);
    const q = plan("sp-secret-expired", { principalObjectId: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" }, (rs) =>
      noSpRecord(rs).filter((r) => !(r as { type: string }).type.endsWith("roleassignments")),
    );
    assert.equal(q.pullRole?.principalId, "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
  });

  it("refuses records that hold neither the cluster nor the registry", () => {
    assert.throws(
      () => plan("healthy-public", {}, () => []),
      /AksAcrIntegration: the observer found no cluster/,
    );
  });
});
