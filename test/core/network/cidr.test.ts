import * as assert from "node:assert/strict";
import { addressCount, cidrContains, parseCidr, parseIpv4 } from "../../../core/network/cidr";

describe("core/cidr", () => {
  it("parses addresses and ranges, normalising the network address", () => {
    assert.equal(parseIpv4("10.0.0.1"), 167772161);
    assert.deepEqual(parseCidr("20.50.3.7"), { base: parseIpv4("20.50.3.7"), prefix: 32, raw: "20.50.3.7" });
    assert.equal(parseCidr("20.50.3.7/24")!.base, parseIpv4("20.50.3.0"));
    assert.equal(addressCount(parseCidr("0.0.0.0/0")!), 2 ** 32);
  });

  it("refuses what is not IPv4 CIDR", () => {
    for (const bad of [
      "",
      "10.0.0",
      "10.0.0.256",
      "10.0.0.1/33",
      "10.0.0.1/",
      "10.0.0.01",
      "2001:db8::/32",
      "a.b.c.d",
      "10.0.0.1/8/8",
    ]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("knows whether an address or range lies inside another", () => {
    const net = parseCidr("20.50.0.0/16")!;
    assert.ok(cidrContains(net, parseCidr("20.50.3.7")!));
    assert.ok(cidrContains(net, parseCidr("20.50.8.0/24")!));
    assert.ok(!cidrContains(net, parseCidr("20.51.0.1")!));
    assert.ok(!cidrContains(net, parseCidr("20.0.0.0/8")!), "a wider range is not inside");
    assert.ok(cidrContains(parseCidr("0.0.0.0/0")!, parseCidr("1.2.3.4")!));
  });
});
