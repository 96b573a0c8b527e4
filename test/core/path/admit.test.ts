// The admit step on the public path (core/path/admit.ts): the registry takes public traffic, and its
// firewall (defaultAction Deny with IP rules) admits the cluster's egress IPs.
import * as assert from "node:assert/strict";
import { egressJudge } from "../../../core/path/admit";
import { ArmRecord } from "../../../core/stack/arm-types";
import { Outcome, outcomeOf, recordOf, scenarioPull, WILL } from "./scenario";

const REGISTRY = "Microsoft.ContainerRegistry/registries";
/** The registry's IP rules with these added, as `az acr network-rule add` leaves them. */
const admitting = (ips: string[]) => (resources: ArmRecord[]) => {
  const ruleSet = recordOf(resources, REGISTRY).properties!.networkRuleSet as { ipRules: unknown[] };
  ruleSet.ipRules.push(...ips.map((value) => ({ action: "Allow", value })));
};

describe("egressJudge: the registry's firewall admits the cluster's egress IPs", () => {
  const cases: [string, string, Outcome, ((r: ArmRecord[]) => void)?, string[]?][] = [
    ["a registry open to public traffic admits the cluster", "healthy-public", "pass"],
    [
      "IP rules that miss the cluster's outbound IP (20.50.1.4) refuse it: 403",
      "registry-firewall-refuses-egress",
      "fail",
    ],
    [
      "a rule for the cluster's outbound IP admits it",
      "registry-firewall-refuses-egress",
      "pass",
      admitting(["20.50.1.4"]),
    ],
    [
      "a /24 rule around the outbound IP admits it",
      "registry-firewall-refuses-egress",
      "pass",
      admitting(["20.50.1.0/24"]),
    ],
    [
      "an egress IP the records do not show (egressIps config), not admitted, fails though the cluster's own is",
      "registry-firewall-refuses-egress",
      "fail",
      admitting(["20.50.1.4"]),
      ["198.51.100.7"],
    ],
  ];
  for (const [behaviour, name, expected, edit, egressIps] of cases) {
    it(behaviour, () => {
      const { topo, pair } = scenarioPull(name, edit);
      const verdict = egressJudge(topo, { egressIps })(pair, WILL);
      assert.equal(outcomeOf(verdict), expected, JSON.stringify(verdict));
      if (expected === "fail") {
        assert.match(verdict.symptom!, /403 Forbidden/);
        assert.match(verdict.fails[0], /defaultAction: Deny/);
      }
    });
  }
});
