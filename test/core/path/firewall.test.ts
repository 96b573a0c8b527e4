// The hub firewall (core/path/firewall.ts): where the cluster's egress goes through it
// (outboundType userDefinedRouting), its rules must allow the pull, to the private endpoint on the
// private path, and to the login server and the layers' storage on the public path.
import * as assert from "node:assert/strict";
import { firewallJudge, publicFirewallJudge } from "../../../core/path/firewall";
import { Outcome, outcomeOf, scenarioPull, WILL } from "./scenario";

const I_O_TIMEOUT = 'ErrImagePull: "dial tcp 10.0.1.4:443: i/o timeout"';

describe("firewallJudge: the hub firewall allows the cluster's subnets to the private endpoint on TCP 443", () => {
  const cases: [string, string, Outcome, RegExp?][] = [
    [
      "no rule allows the subnets to the endpoint: Azure Firewall denies",
      "hub-firewall-blocks",
      "fail",
      /no network rule allows its subnets \(10\.10\.0\.0\/22\) to the private-endpoint IPs 10\.0\.1\.4, 10\.0\.1\.5/,
    ],
    [
      "a Deny collection ahead of the Allow decides first",
      "hub-firewall-deny-first",
      "fail",
      /rule collection 'deny-spokes' of 'baseline' denies its subnets/,
    ],
  ];
  for (const [behaviour, name, expected, detail] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(name);
      const verdict = firewallJudge(topo)!(pair, WILL);
      assert.equal(outcomeOf(verdict), expected, JSON.stringify(verdict));
      assert.equal(verdict.symptom, I_O_TIMEOUT);
      if (detail) assert.match(verdict.fails[0], detail);
    });
  }
  it("has nothing to judge where no firewall is shown", () => {
    const { topo } = scenarioPull("healthy-hub-spoke");
    assert.equal(firewallJudge(topo), undefined);
  });
});

describe("publicFirewallJudge: on the public path, the firewall allows the login server and the layers' storage", () => {
  it("lets the login server through and stops the layers where only the registry's FQDN is allowed", () => {
    const { topo, pair } = scenarioPull("hub-firewall-blocks-layers");
    const judged = publicFirewallJudge(topo)!(pair, WILL);
    assert.equal(outcomeOf(judged.route), "pass");
    const layers = judged.layers(WILL);
    assert.equal(outcomeOf(layers), "fail", JSON.stringify(layers));
    assert.match(layers.fails[0], /blob\.core\.windows\.net|data\.azurecr\.io/);
    assert.ok(layers.symptom);
  });
  it("has nothing to judge where no firewall is shown", () => {
    const { topo } = scenarioPull("healthy-public");
    assert.equal(publicFirewallJudge(topo), undefined);
  });
});
