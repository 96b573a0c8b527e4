// Runs index.mjs (this project's program) as a stack under the real engine, from inside the user's
// project so that the program, aks-acr-guard and the Automation API share the project's one
// @pulumi/pulumi. Usage: node run-stack.mjs <preview|up> <config.json>; prints one JSON line:
// { ok, error, findings: [{ policy, level, urn, message }], stackPolicies: [{ pack, passed, failed }],
// changes, outputs }.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";

const [op, configFile] = process.argv.slice(2);
const settings = JSON.parse(fs.readFileSync(configFile, "utf8"));
const here = path.dirname(new URL(import.meta.url).pathname);
let run = 0;

const stack = await LocalWorkspace.createOrSelectStack(
  {
    stackName: "dev",
    projectName: "user-project",
    // A fresh evaluation of the program module on every run, as `pulumi` starts a new process.
    program: async () => ({ ...(await import(`./index.mjs?run=${++run}`)) }),
  },
  {
    workDir: here,
    envVars: settings.env,
    projectSettings: { name: "user-project", runtime: "nodejs", backend: { url: settings.backend } },
  },
);
await stack.setAllConfig(
  Object.fromEntries(Object.entries(settings.config).map(([k, v]) => [k, { value: v }])),
);

const findings = [];
const stackPolicies = [];
let changes = {};
const onEvent = (e) => {
  if (e.policyEvent)
    findings.push({
      policy: e.policyEvent.policyName,
      level: e.policyEvent.enforcementLevel,
      urn: e.policyEvent.resourceUrn ?? "",
      message: e.policyEvent.message,
    });
  // The engine's summary of each AnalyzeStack: which stack policies of which pack ran, and how.
  const summary = e.policyAnalyzeStackSummaryEvent;
  if (summary)
    stackPolicies.push({
      pack: summary.policyPackName,
      passed: summary.passed ?? [],
      failed: summary.failed ?? [],
    });
  if (e.summaryEvent) changes = e.summaryEvent.resourceChanges;
};
const args = {
  policyPacks: [path.join(here, "node_modules", "aks-acr-guard", "policies")],
  policyPackConfigs: settings.policyConfig ? [settings.policyConfig] : undefined,
  onEvent,
};
const result = { ok: true, findings, stackPolicies, changes, outputs: {} };
try {
  if (op === "preview") await stack.preview(args);
  else {
    const r = await stack.up(args);
    result.outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
  }
} catch (e) {
  result.ok = false;
  result.error = String(e.message ?? e);
}
result.changes = changes;
process.stdout.write(JSON.stringify(result) + "\n");
