// Every finding of every bundled scenario, before and after the plan, as the JSON report structures it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as components from "../../components";
import { offlinePreview } from "../../offline/preview";
import { previewReportOf, type ReportPolicy } from "../../offline/report";
import { loadWorld } from "../../offline/world";
import { GUIDES } from "../../policies/policies";
import { REPO_ROOT, usePolicyPack } from "../harness";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");
const PROGRAMS = /^(az |kubectl |nslookup |curl |docker |SECRET=\$\(az )/;

describe("structured findings", () => {
  const { pack } = usePolicyPack();
  for (const name of fs
    .readdirSync(SCENARIOS)
    .filter((n) => fs.existsSync(path.join(SCENARIOS, n, "world.json")))) {
    it(`'${name}': each finding has its symptom, its detail and a fix: the component that declares it, the commands, the docs`, async function () {
      this.timeout(60_000);
      const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
      const policies: ReportPolicy[] = (await pack().info()).policies.map((p) => ({
        name: p.name,
        level: p.enforcementLevel,
        description: p.description,
        url: p.url,
        remediationSteps: p.remediationSteps,
      }));
      const report = previewReportOf(name, await offlinePreview(world, pack()), [], [], policies);
      for (const f of [...report.findings, ...report.after]) {
        const at = `${f.policy} on ${f.resource}`;
        assert.equal(f.symptom, GUIDES[f.policy].symptom, at);
        assert.ok(f.fix && f.fix.text.length > 0, `${at} has a Fix line`);
        assert.equal(f.fix.docs, policies.find((p) => p.name === f.policy)!.url, at);
        assert.ok(!f.detail.includes("\nFix: ") && f.message.includes(f.detail.split("\n")[0]), at);
        if (f.fix.component)
          assert.ok(f.fix.component in components, `${at}: ${f.fix.component} is a component of the package`);
        for (const c of f.fix.commands) assert.match(c, PROGRAMS, `${at}: a command, not prose`);
      }
    });
  }
});
