// The names the plan gives what it declares (core/plan/names.ts): the same on every run, so a second
// run finds what the first declared, and short enough for Azure.
import * as assert from "node:assert/strict";
import { childKey, childKeys, dnsLinkName, firewallGroupName, peeringName } from "../../../core/plan/names";

describe("the plan's names", () => {
  it("name a peering after its remote VNet, and the firewall group after the component", () => {
    assert.equal(peeringName("vnet-hub"), "aks-acr-guard-to-vnet-hub");
    assert.equal(firewallGroupName("aks-prod"), "aks-prod-acr");
  });
  it("name a zone link after the VNet and its id: the same every run, apart for two VNets of one name", () => {
    const a = "/subscriptions/s/resourcegroups/rg-a/providers/microsoft.network/virtualnetworks/vnet";
    const b = "/subscriptions/s/resourcegroups/rg-b/providers/microsoft.network/virtualnetworks/vnet";
    assert.equal(dnsLinkName(a, "vnet"), dnsLinkName(a, "vnet"));
    assert.notEqual(dnsLinkName(a, "vnet"), dnsLinkName(b, "vnet"));
    // A VNet name has at most 64 characters; a link name at most 80.
    assert.ok(dnsLinkName(a, "v".repeat(64)).length <= 80);
  });
  it("key a child by what it holds, not its place: the same value, the same key, whatever the order", () => {
    const ids = ["/subscriptions/s/x/vnet-a", "/subscriptions/s/x/VNet-B/"];
    assert.deepEqual(childKeys(ids), ["vnet-a", "vnet-b"]);
    assert.deepEqual(childKeys([...ids].reverse()), ["vnet-b", "vnet-a"]);
    assert.equal(childKey(ids[0], 0), childKey(ids[0], 5));
  });
  it("tell apart two VNets of one name in two groups by a hash of the id, and fall back to the place for a value not known", () => {
    const keys = childKeys([
      "/subscriptions/s/resourceGroups/a/vnet",
      "/subscriptions/s/resourceGroups/b/vnet",
    ]);
    assert.equal(new Set(keys).size, 2);
    assert.match(keys[0], /^vnet-[0-9a-f]{8}$/);
    assert.equal(childKey(undefined, 3), "3");
  });
});
