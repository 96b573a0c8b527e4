// The reports for CI systems: SARIF 2.1.0 validated against the OASIS schema (test/fixtures/
// sarif-schema-2.1.0.json, from github.com/oasis-tcs/sarif-spec, sarif-2.1/schema), GitHub Actions
// annotations and Azure Pipelines logging commands, over every bundled scenario.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Log } from "sarif";
import { policies } from "../../policies/policies";
import { fingerprint, renderAzureDevops, renderGithub, renderSarif } from "../../offline/ci-formats";
import { diagnoseWorld } from "../../offline/preview";
import { findingsOf, makeReport, Report } from "../../offline/report";
import { loadWorld } from "../../offline/world";
import { aksAcrGuard, REPO_ROOT, usePolicyPack } from "../harness";
import { sarifValidator } from "../harness/sarif";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");
const NAMES = fs.readdirSync(SCENARIOS).filter((n) => fs.existsSync(path.join(SCENARIOS, n, "world.json")));

describe("reports for CI systems", () => {
  const { pack } = usePolicyPack();
  const reports = new Map<string, Report>();

  before(async function () {
    this.timeout(120_000);
    const info = await pack().info();
    const described = info.policies.map((p) => ({
      name: p.name,
      level: p.enforcementLevel,
      description: p.description,
      url: p.url,
      remediationSteps: p.remediationSteps,
    }));
    for (const name of NAMES) {
      const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
      const { resources, ignored, before } = await diagnoseWorld(world, pack());
      reports.set(
        name,
        makeReport("diagnose", path.join("scenarios", name, "world.json"), {
          ignored,
          findings: findingsOf(before, resources),
          policies: described,
        }),
      );
    }
  });

  it("SARIF: every scenario's log is valid SARIF 2.1.0, a rule per public policy name, a result per finding", () => {
    const validate = sarifValidator();
    const publicNames = policies.map((p) => p.name).sort();
    for (const [name, report] of reports) {
      const text = renderSarif(report);
      const log = JSON.parse(text) as Log;
      assert.ok(validate(log), `${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      const run = log.runs[0];
      const rules = run.tool.driver.rules ?? [];
      assert.deepEqual(rules.map((r) => r.id).sort(), publicNames, name);
      for (const r of rules) assert.match(r.helpUri ?? "", /^https:\/\/learn\.microsoft\.com\//, r.id);
      const results = run.results ?? [];
      assert.equal(results.length, report.findings.length, name);
      results.forEach((res, i) => {
        const f = report.findings[i];
        assert.equal(res.ruleId, f.policy);
        assert.equal(rules[res.ruleIndex!].id, f.policy, "ruleIndex points at its rule");
        assert.equal(res.level, f.level === "mandatory" ? "error" : "warning");
        assert.equal(res.locations?.[0].logicalLocations?.[0].fullyQualifiedName, f.resourceId);
        assert.equal(
          res.locations?.[0].physicalLocation?.artifactLocation?.uri,
          `scenarios/${name}/world.json`,
        );
      });
      const prints = results.map((r) => r.partialFingerprints?.["aksAcrGuardFinding/v1"]);
      assert.equal(new Set(prints).size, prints.length, `${name}: a fingerprint per finding`);
    }
  });

  it("SARIF: a finding's fingerprint is the same in another run, and another finding's is not", () => {
    const report = reports.get("broken-hub-spoke")!;
    const [a, b] = report.findings;
    assert.equal(fingerprint({ ...a }), fingerprint(a));
    assert.notEqual(fingerprint(a), fingerprint(b));
    // The cluster's name changed: another finding
    assert.notEqual(
      fingerprint({ ...a, resourceId: a.resourceId.replace("aks-prod", "aks-dev") }),
      fingerprint(a),
    );
  });

  it("GitHub and Azure Pipelines: a command per finding on one line, the message whole once unescaped", () => {
    for (const [name, report] of reports) {
      const gh = renderGithub(report).split("\n").filter(Boolean);
      const ado = renderAzureDevops(report).split("\n").filter(Boolean);
      assert.equal(gh.length, report.findings.length, name);
      assert.equal(ado.length, report.findings.length, name);
      report.findings.forEach((f, i) => {
        const kind = f.level === "mandatory" ? "error" : "warning";
        const m = new RegExp(`^::${kind} title=([^:]*)::(.*)$`).exec(gh[i]);
        assert.ok(m, gh[i]);
        assert.equal(decodeURIComponent(m[2]), f.message, `${name}: the GitHub message, unescaped`);
        assert.ok(decodeURIComponent(m[1]).startsWith(`${f.policy} on `));
        const v = new RegExp(`^##vso\\[task\\.logissue type=${kind};code=${f.policy}\\](.*)$`).exec(ado[i]);
        assert.ok(v, ado[i]);
        assert.equal(
          v[1]
            .replace(/%0D/g, "\r")
            .replace(/%0A/g, "\n")
            .replace(/%AZP25/g, "%"),
          `${f.policy} on ${f.resource}: ${f.message}`,
        );
      });
    }
  });

  it("the command writes SARIF with --format sarif --output, and trace refuses the CI formats (exit 2)", async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-sarif-"));
    try {
      const file = path.join(dir, "findings.sarif");
      const r = await aksAcrGuard([
        "preview",
        "scenarios/broken-hub-spoke/world.json",
        "--format",
        "sarif",
        "--output",
        file,
        "--format",
        "github",
      ]);
      assert.equal(r.code, 1, r.stderr);
      const log = JSON.parse(fs.readFileSync(file, "utf8")) as Log;
      assert.ok(sarifValidator()(log));
      assert.equal(log.runs[0].results?.filter((x) => x.level === "error").length, 3);
      assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("::error ")).length, 3);
      // After the plan, nothing is left to annotate
      const after = await aksAcrGuard([
        "preview",
        "scenarios/broken-hub-spoke/world.json",
        "--after-plan",
        "--format",
        "sarif",
      ]);
      assert.equal(after.code, 0);
      assert.deepEqual((JSON.parse(after.stdout) as Log).runs[0].results, []);
      const trace = await aksAcrGuard([
        "trace",
        "scenarios/broken-hub-spoke/world.json",
        "--format",
        "sarif",
      ]);
      assert.equal(trace.code, 2);
      assert.match(trace.stderr, /--format is "sarif"; expected text, json, markdown \(trace\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
