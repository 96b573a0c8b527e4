// The CLI's half of suppressions (offline/suppressed.ts) and the report's counts and stale lines
// (offline/finding.ts): what a team accepted leaves the report and the gate, and what no longer
// matches is listed to review.
import * as assert from "node:assert/strict";
import { Suppression } from "../../core/findings/suppressions";
import { Finding, staleLine, summaryOf } from "../../offline/finding";
import { Report } from "../../offline/report";
import { applySuppressions } from "../../offline/suppressed";
import { armId } from "../fixtures/arm";

const CLUSTER = armId("rg-aks", "Microsoft.ContainerService/managedClusters", "aks-prod");
const REGISTRY = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");
const finding = (policy: string, level: string, resourceId: string): Finding => {
  const name = resourceId.split("/").pop()!;
  return {
    policy,
    level,
    cause: policy,
    resourceId,
    resource: name,
    urn: `urn:pulumi:world::aks-acr-guard::azure-native:x:X::${name}`,
    detail: `${policy} on ${name}`,
    message: `${policy} on ${name}`,
  };
};
const PULL_ROLE = finding("aks-acr-pull-role", "mandatory", CLUSTER);
const PUBLIC = finding("acr-public-network-open", "advisory", REGISTRY);
const report = (command: Report["command"], findings: Finding[], after: Finding[]): Report => ({
  version: 1,
  command,
  world: "world.json",
  ignored: {},
  unread: [],
  findings,
  plan: [],
  after,
  commands: [],
  left: [],
  notes: [],
  now: [],
  summary: summaryOf(findings, command === "preview" ? after : undefined),
  policies: [],
  paths: [],
  suppressed: [],
  suppressedAfter: [],
  stale: [],
});
const NOW = new Date("2026-12-05T12:00:00Z");
const accept = (policy: string, resource: string, expires = "2027-01-31"): Suppression => ({
  policy,
  resource,
  reason: "accepted by the platform team",
  expires,
});

describe("applySuppressions: the report with a team's suppressions applied", () => {
  it("GIVEN a suppression in force by ARM id, THEN its finding is listed as suppressed and leaves the counts", () => {
    const out = applySuppressions(
      report("diagnose", [PULL_ROLE, PUBLIC], []),
      [accept("aks-acr-pull-role", CLUSTER.toUpperCase())],
      NOW,
    );
    assert.deepEqual(out.findings, [PUBLIC]);
    assert.deepEqual(
      out.suppressed.map((s) => [s.policy, s.reason, s.expires]),
      [["aks-acr-pull-role", "accepted by the platform team", "2027-01-31"]],
    );
    assert.deepEqual(out.summary, { mandatory: 0, advisory: 1, mandatoryAfter: 0 });
    assert.deepEqual(out.stale, []);
  });

  it("names a resource by URN or by name alike", () => {
    for (const resource of [PUBLIC.urn, "contosoacr"]) {
      const out = applySuppressions(report("diagnose", [PUBLIC], []), [accept(PUBLIC.policy, resource)], NOW);
      assert.deepEqual(out.findings, [], resource);
    }
  });

  it("GIVEN an expired suppression, THEN its finding stays and it is stale as expired", () => {
    const out = applySuppressions(
      report("diagnose", [PULL_ROLE], []),
      [accept("aks-acr-pull-role", CLUSTER, "2026-12-04")],
      NOW,
    );
    assert.deepEqual(out.findings, [PULL_ROLE]);
    assert.deepEqual(
      out.stale.map((s) => s.problem),
      ["expired"],
    );
    assert.match(staleLine(out.stale[0]), /expired on 2026-12-04 .*its finding is reported again/);
  });

  it("holds a suppression through the last day it names (UTC)", () => {
    const out = applySuppressions(
      report("diagnose", [PULL_ROLE], []),
      [accept("aks-acr-pull-role", CLUSTER, "2026-12-05")],
      NOW,
    );
    assert.deepEqual(out.findings, []);
  });

  it("GIVEN a suppression no finding is on, THEN it is stale as unmatched, with how to name the resource", () => {
    const out = applySuppressions(
      report("diagnose", [PUBLIC], []),
      [accept("aks-acr-pull-role", "aks-other")],
      NOW,
    );
    assert.deepEqual(out.findings, [PUBLIC]);
    assert.deepEqual(
      out.stale.map((s) => s.problem),
      ["unmatched"],
    );
    assert.match(staleLine(out.stale[0]), /matches no finding .*ARM id, URN or name/);
  });

  it("preview: hides the findings after the plan alike, and the left findings and counts follow", () => {
    const out = applySuppressions(
      report("preview", [PULL_ROLE, PUBLIC], [PULL_ROLE]),
      [accept("aks-acr-pull-role", CLUSTER)],
      NOW,
    );
    assert.deepEqual(out.after, []);
    assert.deepEqual(out.left, []);
    assert.equal(out.suppressedAfter.length, 1);
    assert.deepEqual(out.summary, { mandatory: 0, advisory: 1, mandatoryAfter: 0 });
  });

  it("is not stale when it hides a finding after the plan only", () => {
    const out = applySuppressions(
      report("preview", [PUBLIC], [PULL_ROLE]),
      [accept("aks-acr-pull-role", CLUSTER)],
      NOW,
    );
    assert.deepEqual(out.stale, []);
  });
});

describe("summaryOf: a report's counts", () => {
  it("counts diagnose's findings, and takes them as what is left (no plan)", () => {
    assert.deepEqual(summaryOf([PULL_ROLE, PUBLIC]), { mandatory: 1, advisory: 1, mandatoryAfter: 1 });
  });
  it("counts preview's mandatory findings after the plan", () => {
    assert.deepEqual(summaryOf([PULL_ROLE, PUBLIC], [PUBLIC]), {
      mandatory: 1,
      advisory: 1,
      mandatoryAfter: 0,
    });
  });
});
