/**
 * The report for a CI system: a SARIF 2.1.0 log (GitHub code scanning, Azure DevOps' SARIF viewer),
 * GitHub Actions workflow commands (annotations), and Azure Pipelines logging commands. Each takes
 * the findings the gate judges: those found, or for `preview --after-plan` those left after the plan.
 */
import { createHash } from "node:crypto";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { packageVersion } from "./package-root";
import { Finding, staleLine, SuppressedFinding } from "./finding";
import type { Report } from "./report";

const TOOL_URI = "https://www.npmjs.com/package/aks-acr-guard";

/** A finding's identity across runs: its policy, its resource and what its message opens with. */
export function fingerprint(f: Finding): string {
  const opening = f.message.split("\n")[0];
  return createHash("sha256").update(`${f.policy}\n${f.resourceId}\n${opening}`, "utf8").digest("hex");
}

/** The findings the gate judges. */
export function judged(report: Report, afterPlan: boolean): Finding[] {
  return report.command === "preview" && afterPlan ? report.after : report.findings;
}

/** The findings `--suppressions` hid from those the gate judges. */
function suppressedOf(report: Report, afterPlan: boolean): SuppressedFinding[] {
  return report.command === "preview" && afterPlan ? report.suppressedAfter : report.suppressed;
}

const sarifLevel = (level: string): Result.level => (level === "mandatory" ? "error" : "warning");

/**
 * SARIF 2.1.0: a rule per policy of the pack (its description, help URI and remediation), a result
 * per finding (`error` for mandatory, `warning` for advisory) located at the recording it came from
 * and, logically, at the resource's ARM id (or a Kubernetes object's namespace/name), with a stable
 * fingerprint.
 */
export function renderSarif(report: Report, afterPlan = false): string {
  const names = [
    ...new Set([...report.policies.map((p) => p.name), ...judged(report, afterPlan).map((f) => f.policy)]),
  ];
  const rules: ReportingDescriptor[] = names.map((name) => {
    const p = report.policies.find((x) => x.name === name);
    return {
      id: name,
      name,
      shortDescription: { text: p?.description.split(/(?<=\.)\s/)[0] ?? name },
      fullDescription: { text: p?.description ?? name },
      ...(p?.url ? { helpUri: p.url } : {}),
      help: { text: p?.remediationSteps || p?.description || name },
      defaultConfiguration: { level: sarifLevel(p?.level ?? "advisory") },
    };
  });
  // The first world file, as the location every finding is read from.
  const artifact = report.world.split(" + ")[0];
  const result = (f: Finding): Result => ({
    ruleId: f.policy,
    ruleIndex: names.indexOf(f.policy),
    level: sarifLevel(f.level),
    message: { text: f.message },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: artifact }, region: { startLine: 1 } },
        logicalLocations: [{ fullyQualifiedName: f.resourceId, name: f.resource, kind: "resource" }],
      },
    ],
    partialFingerprints: { "aksAcrGuardFinding/v1": fingerprint(f) },
    properties: { cause: f.cause, resource: f.resource },
  });
  // A suppressed finding stays in the log, marked as accepted (code scanning shows it dismissed).
  const results: Result[] = [
    ...judged(report, afterPlan).map(result),
    ...suppressedOf(report, afterPlan).map((f): Result => ({
      ...result(f),
      suppressions: [
        { kind: "external", status: "accepted", justification: `${f.reason} (until ${f.expires})` },
      ],
    })),
  ];
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: { name: "aks-acr-guard", version: packageVersion(), informationUri: TOOL_URI, rules },
        },
        automationDetails: { id: `aks-acr-guard/${report.command}/` },
        // Suppressions to review: the run's configuration, not a finding of the environment.
        invocations: [
          {
            executionSuccessful: true,
            toolConfigurationNotifications: report.stale.map((st) => ({
              level: "warning" as const,
              message: { text: `suppression ${staleLine(st)}` },
              descriptor: { id: st.policy },
            })),
          },
        ],
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

/** GitHub Actions' escaping of a workflow command's message, and of a property value. */
const ghData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const ghProperty = (s: string) => ghData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** One `::error` (mandatory) or `::warning` (advisory) workflow command per finding: an annotation. */
export function renderGithub(report: Report, afterPlan = false): string {
  return [
    ...judged(report, afterPlan).map(
      (f) =>
        `::${f.level === "mandatory" ? "error" : "warning"} title=${ghProperty(`${f.policy} on ${f.resource}`)}::` +
        ghData(f.message),
    ),
    ...report.stale.map(
      (st) => `::warning title=${ghProperty("suppression to review")}::${ghData(staleLine(st))}`,
    ),
  ].join("\n");
}

/** Azure Pipelines' escaping of a logging command's message, and of a property value. */
const adoData = (s: string) => s.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const adoProperty = (s: string) => adoData(s).replace(/;/g, "%3B").replace(/\]/g, "%5D");

/** One `##vso[task.logissue]` per finding: an error (mandatory) or a warning (advisory) on the run. */
export function renderAzureDevops(report: Report, afterPlan = false): string {
  return [
    ...judged(report, afterPlan).map(
      (f) =>
        `##vso[task.logissue type=${f.level === "mandatory" ? "error" : "warning"};code=${adoProperty(f.policy)}]` +
        adoData(`${f.policy} on ${f.resource}: ${f.message}`),
    ),
    ...report.stale.map(
      (st) =>
        `##vso[task.logissue type=warning;code=${adoProperty(st.policy)}]${adoData(`suppression ${staleLine(st)}`)}`,
    ),
  ].join("\n");
}
