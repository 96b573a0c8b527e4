// The route step (core/path/route.ts): the cluster's VNet reaches the endpoint's (peerings both ways,
// Connected), the endpoint's connection carries traffic (Approved), and the node subnet's NSG and
// route table let TCP 443 out.
import * as assert from "node:assert/strict";
import { connectionJudge, peeringJudge, subnetJudge } from "../../../core/path/route";
import { Outcome, outcomeOf, scenarioPull, WILL } from "./scenario";

const I_O_TIMEOUT = 'ErrImagePull: "dial tcp 10.0.1.4:443: i/o timeout"';

describe("peeringJudge: the cluster's VNet and the endpoint's are peered both ways, Connected", () => {
  const cases: [string, string, Outcome, RegExp?][] = [
    ["peered both ways and Connected: routed", "healthy-hub-spoke", "pass"],
    ["a registry without a private endpoint (the public path): nothing to peer", "healthy-public", "pass"],
    [
      "no peering either way: the endpoint's address is unreachable",
      "vnet-peering-missing",
      "fail",
      /no peering from 'vnet-aks' to 'vnet-hub'/,
    ],
    [
      "one side Disconnected: no traffic",
      "vnet-peering-disconnected",
      "fail",
      /peering 'to-vnet-aks' from 'vnet-hub' to 'vnet-aks' is Disconnected/,
    ],
  ];
  for (const [behaviour, name, expected, detail] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(name);
      const verdict = peeringJudge(topo)(pair, WILL);
      assert.equal(outcomeOf(verdict), expected, JSON.stringify(verdict));
      if (expected === "fail") assert.equal(verdict.symptom, I_O_TIMEOUT);
      if (detail) assert.match(verdict.fails[0], detail);
    });
  }
});

describe("connectionJudge: only an Approved private endpoint connection carries traffic", () => {
  it("passes an Approved connection", () => {
    const { topo, pair } = scenarioPull("healthy-hub-spoke");
    assert.equal(outcomeOf(connectionJudge(topo)(pair, WILL)), "pass");
  });
  it("fails a Pending one, with the approve command the registry's owner runs", () => {
    const { topo, pair } = scenarioPull("private-endpoint-pending");
    const verdict = connectionJudge(topo)(pair, WILL);
    assert.equal(outcomeOf(verdict), "fail");
    assert.equal(verdict.symptom, I_O_TIMEOUT);
    assert.match(verdict.fails[0], /'pe-contosoacr' is Pending/);
    assert.deepEqual(verdict.commands, [
      "az acr private-endpoint-connection approve -r contosoacr -n pe-contosoacr",
    ]);
  });
});

describe("subnetJudge: the node subnet's NSG and route table let TCP 443 out", () => {
  const cases: [string, string, readonly string[], Outcome, RegExp?][] = [
    ["no NSG rule or route in the way", "healthy-hub-spoke", [], "pass"],
    [
      "an NSG rule denying 443 to the registry's service tag: may fail (what the NSG's effective rules add is not shown)",
      "nsg-denies-acr",
      [],
      "unsure",
      /NSG 'nsg-nodes' rule 'deny-acr' \(priority 100\) denies outbound TCP 443/,
    ],
    [
      "a default route to an appliance not known as a firewall: may fail (TLS handshake timeout)",
      "route-through-appliance",
      [],
      "unsure",
      /TLS handshake timeout/,
    ],
    [
      "the same route to an appliance named in knownApplianceIps: passes",
      "route-through-appliance",
      ["10.0.9.4"],
      "pass",
    ],
  ];
  for (const [behaviour, name, appliances, expected, detail] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(name);
      const verdict = subnetJudge(topo, appliances)(pair, WILL);
      assert.equal(outcomeOf(verdict), expected, JSON.stringify(verdict));
      if (detail) assert.match(verdict.unsure![0], detail);
    });
  }
});
