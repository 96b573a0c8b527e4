// `--suppressions FILE`: the CLI hides accepted findings from the report and the gate, lists them,
// and reports suppressions that expired or match no finding, in every format.
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Log } from "sarif";
import type { Report } from "../../offline/report";
import { aksAcrGuard } from "../harness";
import { sarifValidator } from "../harness/sarif";

const WORLD = "scenarios/broken-hub-spoke/world.json";
const CLUSTER = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const LATER = "2999-12-31";

describe("--suppressions", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-supp-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, value: unknown) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
    return f;
  };
  const all = (expires = LATER) =>
    ["aks-acr-pull-role", "acr-private-dns-link", "aks-acr-vnet-peering"].map((policy) => ({
      policy,
      resource: CLUSTER.toUpperCase(),
      reason: `accepted ${policy}`,
      expires,
    }));

  it("GIVEN every finding suppressed, WHEN diagnose runs, THEN it exits 0 and lists them as suppressed", async function () {
    this.timeout(60_000);
    const r = await aksAcrGuard([
      "diagnose",
      WORLD,
      "--suppressions",
      file("all.json", all()),
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.summary, { mandatory: 0, advisory: 0, mandatoryAfter: 0 });
    assert.deepEqual(
      report.suppressed.map((f) => [f.policy, f.resourceId, f.reason, f.expires]),
      all().map((s) => [s.policy, CLUSTER, s.reason, LATER]),
    );
    assert.deepEqual(report.stale, []);
  });

  it("GIVEN expired and unmatched suppressions, THEN their findings stay, they are listed to review, and only --fail-on advisory fails on them", async function () {
    this.timeout(120_000);
    const supp = file("stale.json", {
      suppressions: [
        ...all().slice(0, 2),
        { ...all("2020-01-31")[2] },
        {
          policy: "acr-admin-user-disabled",
          resource: "contosoacr",
          reason: "no admin user here",
          expires: LATER,
        },
      ],
    });
    const r = await aksAcrGuard([
      "diagnose",
      WORLD,
      "--suppressions",
      supp,
      "--format",
      "json",
      "--format",
      "text",
      "--output",
      path.join(dir, "r.txt"),
    ]);
    assert.equal(r.code, 1, "the peering finding is back: mandatory");
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      report.findings.map((f) => f.policy),
      ["aks-acr-vnet-peering"],
    );
    assert.deepEqual(
      report.stale.map((s) => [s.policy, s.problem]),
      [
        ["aks-acr-vnet-peering", "expired"],
        ["acr-admin-user-disabled", "unmatched"],
      ],
    );
    const text = fs.readFileSync(path.join(dir, "r.txt"), "utf8");
    assert.match(
      text,
      /Suppressed \(--suppressions\):\n  mandatory aks-acr-pull-role on ManagedCluster 'aks-prod': "accepted aks-acr-pull-role", until 2999-12-31/,
    );
    assert.match(text, /Suppressions to review:\n  aks-acr-vnet-peering on .*: expired on 2020-01-31/);
    assert.match(text, /acr-admin-user-disabled on contosoacr: matches no finding/);

    // Only the unmatched one left: nothing mandatory, so only --fail-on advisory fails.
    const unmatched = file("unmatched.json", [
      ...all(),
      { policy: "acr-admin-user-disabled", resource: "contosoacr", reason: "x", expires: LATER },
    ]);
    assert.equal((await aksAcrGuard(["diagnose", WORLD, "--suppressions", unmatched])).code, 0);
    const strict = await aksAcrGuard([
      "diagnose",
      WORLD,
      "--suppressions",
      unmatched,
      "--fail-on",
      "advisory",
      "--format",
      "github",
    ]);
    assert.equal(strict.code, 1);
    assert.match(
      strict.stdout,
      /^::warning title=suppression to review::acr-admin-user-disabled on contosoacr: matches no finding/m,
    );
  });

  it("SARIF keeps a suppressed finding, marked accepted, and lists a stale suppression; the log stays valid", async function () {
    this.timeout(60_000);
    const supp = file("sarif.json", [all()[0], { ...all("2020-01-31")[1] }]);
    const r = await aksAcrGuard(["preview", WORLD, "--suppressions", supp, "--format", "sarif"]);
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as Log;
    const validate = sarifValidator();
    assert.ok(validate(log), JSON.stringify(validate.errors));
    const results = log.runs[0].results ?? [];
    assert.deepEqual(
      results.map((x) => [x.ruleId, x.suppressions?.[0]?.status ?? "open"]),
      [
        ["acr-private-dns-link", "open"],
        ["aks-acr-vnet-peering", "open"],
        ["aks-acr-pull-role", "accepted"],
      ],
    );
    assert.match(
      results[2].suppressions![0].justification!,
      /accepted aks-acr-pull-role \(until 2999-12-31\)/,
    );
    const notes = log.runs[0].invocations?.[0].toolConfigurationNotifications ?? [];
    assert.deepEqual(
      notes.map((n) => n.descriptor?.id),
      ["acr-private-dns-link"],
    );
    assert.match(notes[0].message.text!, /expired on 2020-01-31/);
  });

  it("preview: the findings after the plan are suppressed alike, and the left findings follow", async function () {
    this.timeout(60_000);
    const r = await aksAcrGuard(["preview", "scenarios/sp-secret-expired/world.json", "--format", "json"]);
    const before = JSON.parse(r.stdout) as Report;
    assert.ok(before.after.length > 0, "sp-secret-expired leaves a finding after the plan");
    const supp = file(
      "after.json",
      before.after.map((f) => ({
        policy: f.policy,
        resource: f.urn,
        reason: "rotation scheduled",
        expires: LATER,
      })),
    );
    const s = await aksAcrGuard([
      "preview",
      "scenarios/sp-secret-expired/world.json",
      "--suppressions",
      supp,
      "--after-plan",
      "--format",
      "json",
    ]);
    assert.equal(s.code, 0, s.stderr);
    const report = JSON.parse(s.stdout) as Report;
    assert.deepEqual(report.after, []);
    assert.deepEqual(report.left, []);
    assert.equal(report.suppressedAfter.length, before.after.length);
    assert.equal(report.summary.mandatoryAfter, 0);
  });

  const refused: [string, string, RegExp][] = [
    ["a file that is not there", "", /no-such\.json: cannot be read \(ENOENT\)/],
    ["a file that is not JSON", "{", /bad\.json: is not JSON/],
    [
      "a suppression without a date",
      JSON.stringify([{ policy: "aks-acr-pull-role", resource: "aks-prod", reason: "x" }]),
      /bad\.json\[0\]: 'expires' must be/,
    ],
    [
      "a policy the pack does not have",
      JSON.stringify([{ policy: "aks-acr-pullrole", resource: "aks-prod", reason: "x", expires: LATER }]),
      /bad\.json\[0\]: policy 'aks-acr-pullrole' is not one of the pack's/,
    ],
  ];
  for (const [what, body, error] of refused) {
    it(`refuses ${what} (exit 2)`, async function () {
      this.timeout(60_000);
      const f = body === "" ? path.join(dir, "no-such.json") : file("bad.json", body);
      const r = await aksAcrGuard(["diagnose", WORLD, "--suppressions", f]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, error);
    });
  }

  it("is diagnose's and preview's option, given once", async () => {
    const trace = await aksAcrGuard(["trace", WORLD, "--suppressions", "x.json"]);
    assert.equal(trace.code, 2);
    assert.match(trace.stderr, /--suppressions is diagnose's and preview's option/);
    const twice = await aksAcrGuard([
      "diagnose",
      WORLD,
      "--suppressions",
      "a.json",
      "--suppressions",
      "b.json",
    ]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /given twice/);
  });
});
