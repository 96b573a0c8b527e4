// A cluster's public egress IPs by outbound type (core/network/egress.ts), and the registry IP rules
// they are matched against.
import * as assert from "node:assert/strict";
import { clusterEgress, ipRuleValues } from "../../../core/network/egress";
import { ArmRecord } from "../../../core/stack/arm-types";
import { UNKNOWN } from "../../../core/stack/values";
import { recordOf, scenarioPull } from "../path/scenario";

describe("ipRuleValues: a registry's IP rules in either shape", () => {
  it("reads azure-native's iPAddressOrRange, its older ipAddressOrRange and ARM's value, skipping the rest", () => {
    assert.deepEqual(
      ipRuleValues([
        { action: "Allow", iPAddressOrRange: "20.50.1.4" },
        { action: "Allow", ipAddressOrRange: "20.60.0.0/24" },
        { action: "Allow", value: "198.51.100.7" },
        { action: "Allow" },
        null,
        "20.70.0.1",
      ]),
      ["20.50.1.4", "20.60.0.0/24", "198.51.100.7"],
    );
  });
});

describe("clusterEgress: the cluster's public egress IPs, by outbound type", () => {
  const cluster = (resources: ArmRecord[]) =>
    recordOf(resources, "Microsoft.ContainerService/managedClusters").properties as {
      networkProfile: Record<string, unknown>;
    };
  it("loadBalancer: the load balancer's effective outbound IPs", () => {
    const { topo, pair } = scenarioPull("registry-firewall-refuses-egress");
    assert.deepEqual(clusterEgress(topo, pair.cluster), {
      outboundType: "loadBalancer",
      ips: ["20.50.1.4"],
      source: "the load balancer's outbound IPs",
    });
  });
  it("no outboundType: Azure's default, loadBalancer", () => {
    const { topo, pair } = scenarioPull("registry-firewall-refuses-egress", (rs) => {
      delete cluster(rs).networkProfile.outboundType;
    });
    assert.equal(
      (clusterEgress(topo, pair.cluster) as { outboundType: string }).outboundType,
      "loadBalancer",
    );
  });
  it("userDefinedRouting: the hub firewall's public IPs", () => {
    const { topo, pair } = scenarioPull("hub-firewall-blocks-layers");
    const egress = clusterEgress(topo, pair.cluster);
    assert.ok(egress && egress !== UNKNOWN);
    assert.equal(egress.source, "the hub firewall's public IPs");
    assert.ok(egress.ips.length > 0, "the firewall's public IP is recorded");
  });
  it("none or block: no public egress to check", () => {
    for (const outboundType of ["none", "block"]) {
      const { topo, pair } = scenarioPull("healthy-public", (rs) => {
        cluster(rs).networkProfile.outboundType = outboundType;
      });
      assert.equal(clusterEgress(topo, pair.cluster), undefined, outboundType);
    }
  });
  it("an outbound IP whose resource is not shown gives no address (the admit step then cannot judge)", () => {
    const { topo, pair } = scenarioPull("registry-firewall-refuses-egress", (rs) => {
      rs.splice(
        rs.findIndex((r) => r.type.toLowerCase() === "microsoft.network/publicipaddresses"),
        1,
      );
    });
    assert.deepEqual((clusterEgress(topo, pair.cluster) as { ips: string[] }).ips, []);
  });
});
