/**
 * `aks-acr-guard`: the policy pack and the program over a recorded environment, without Azure.
 *
 *   aks-acr-guard diagnose <world.json>... [--format F [--output FILE]]... [--fail-on LEVEL] [--suppressions FILE]
 *   aks-acr-guard preview  <world.json>... [--format F [--output FILE]]... [--fail-on LEVEL] [--suppressions FILE] [--after-plan]
 *   aks-acr-guard trace    <world.json>... [--cluster ID] [--registry ID] [--image REF] [--format ...] [--fail-on LEVEL]
 *   aks-acr-guard --help | --version
 *
 * Exit 0 clean, 1 findings at or above --fail-on (default mandatory), 2 bad input, 3 internal
 * error. The report goes to stdout (or each --output file); progress goes to stderr.
 */
import * as fs from "node:fs";
import { ProgramConfigError } from "../core/plan/program-config";
import { SuppressionError } from "../core/findings/suppressions";
import { judged } from "../offline/ci-formats";
import { packageVersion } from "../offline/package-root";
import type { Report } from "../offline/report";
import type { TraceFilter } from "../offline/trace";
import { loadWorld, requirePullPair, unreadOf, WorldError } from "../offline/world";

const USAGE = `usage: aks-acr-guard <diagnose|preview> <world.json>... [--format F [--output FILE]]... [--fail-on LEVEL] [--suppressions FILE] [--after-plan]
       aks-acr-guard trace <world.json>... [--cluster ID] [--registry ID] [--image REF] [--format F [--output FILE]]... [--fail-on LEVEL]
       aks-acr-guard --help | --version

  diagnose   run the policy pack over a recorded environment and print the findings
  preview    also run the program against it: the plan that fixes them, and the findings after
  trace      the pull path of each cluster and registry, hop by hop (resolve, route, admit, authorize,
             content), with the policy that reports each failing hop: the model the pack reports from.
             --cluster and --registry take an ARM id or a name (a registry also its login server);
             --image traces one image reference from each cluster

  --format F        text (default), json, markdown, sarif (SARIF 2.1.0), github (workflow-command
                    annotations) or azure-devops (##vso[task.logissue]); trace: text, json or markdown.
                    Give several, each with its --output, in one run
  --output FILE     write the report of the --format before it to FILE instead of stdout
  --fail-on LEVEL   mandatory (default), advisory or none: the findings that make the exit status 1
                    (trace: mandatory is a failing path the recording shows for certain, advisory any
                    failing path)
  --after-plan      preview: judge the findings left after the plan, not those found before it
  --suppressions FILE
                    diagnose and preview: findings accepted for a reason until a date, as JSON
                    [{"policy", "resource" (ARM id, URN or name), "reason", "expires": "YYYY-MM-DD"}].
                    They leave the findings and the gate and are listed as suppressed; one that has
                    expired or matches no finding is listed to review (and fails --fail-on advisory)

Exit status: 0 clean, 1 findings at or above --fail-on (for preview, the findings before the plan
unless --after-plan), 2 bad input (usage, an unreadable or invalid world, config), 3 internal error.

A world is ARM resource JSON as Azure Resource Graph returns it ({"resources": [...]}, or the raw
output of az graph query -o json), Kubernetes objects as kubectl get -o json prints them, or both
in one file ({"resources", "kubernetes", "config", "policyConfig"}); scripts/capture-world.sh records one.`;

export class UsageError extends Error {}

/** What the command prints and exits 0 with, instead of running: `--help` and `--version`. */
export class Answer {
  constructor(readonly text: string) {}
}

type Format = "text" | "json" | "markdown" | "sarif" | "github" | "azure-devops";
const FORMATS: readonly Format[] = ["text", "json", "markdown", "sarif", "github", "azure-devops"];
/** What trace prints: its hops have no findings for a CI system's formats. */
const TRACE_FORMATS: readonly Format[] = ["text", "json", "markdown"];
type FailOn = "mandatory" | "advisory" | "none";
const FAIL_ON: readonly FailOn[] = ["mandatory", "advisory", "none"];

interface Args {
  command: "diagnose" | "preview" | "trace";
  files: string[];
  /** Each report to write: its format and, unless stdout, its file. */
  outputs: { format: Format; file?: string }[];
  failOn: FailOn;
  /** preview: judge the findings after the plan. */
  afterPlan: boolean;
  /** trace's filters. */
  filter: TraceFilter;
  /** diagnose and preview: a file of suppressions. */
  suppressions?: string;
}

export function parseArgs(argv: string[]): Args | Answer {
  if (argv.some((a) => a === "--help" || a === "-h")) return new Answer(USAGE);
  if (argv.some((a) => a === "--version" || a === "-V")) return new Answer(packageVersion());
  const [command, ...rest] = argv;
  if (command !== "diagnose" && command !== "preview" && command !== "trace")
    throw new UsageError(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  const files: string[] = [];
  const outputs: Args["outputs"] = [];
  let failOn: FailOn = "mandatory";
  let afterPlan = false;
  let suppressions: string | undefined;
  const filter: TraceFilter = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const option = /^--(cluster|registry|image|format|output|fail-on|suppressions)(=.*)?$/.exec(a);
    if (a === "--after-plan") {
      if (command !== "preview") throw new UsageError(`--after-plan is preview's option\n${USAGE}`);
      afterPlan = true;
    } else if (option) {
      const name = option[1];
      const v = option[2] ? option[2].slice(1) : rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`--${name} needs a value\n${USAGE}`);
      if (name === "format") {
        const formats = command === "trace" ? TRACE_FORMATS : FORMATS;
        if (!formats.includes(v as Format))
          throw new UsageError(
            `--format is ${JSON.stringify(v)}; expected ${formats.join(", ")}${command === "trace" ? " (trace)" : ""}`,
          );
        outputs.push({ format: v as Format });
      } else if (name === "output") {
        const last = outputs[outputs.length - 1];
        if (!last || last.file !== undefined)
          throw new UsageError(`--output ${v} needs a --format before it (--format F --output FILE)`);
        last.file = v;
      } else if (name === "fail-on") {
        if (!FAIL_ON.includes(v as FailOn))
          throw new UsageError(`--fail-on is ${JSON.stringify(v)}; expected ${FAIL_ON.join(", ")}`);
        failOn = v as FailOn;
      } else if (name === "suppressions") {
        if (command === "trace")
          throw new UsageError(`--suppressions is diagnose's and preview's option\n${USAGE}`);
        if (suppressions !== undefined)
          throw new UsageError("--suppressions is given twice; put them in one file");
        suppressions = v;
      } else {
        if (command !== "trace") throw new UsageError(`--${name} is trace's option\n${USAGE}`);
        filter[name as keyof TraceFilter] = v;
      }
    } else if (a.startsWith("-")) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError(`${command} needs a world file\n${USAGE}`);
  if (outputs.length === 0) outputs.push({ format: "text" });
  if (outputs.filter((o) => o.file === undefined).length > 1)
    throw new UsageError("only one --format can go to stdout; give the others an --output FILE");
  return { command, files, outputs, failOn, afterPlan, filter, ...(suppressions ? { suppressions } : {}) };
}

export async function run(args: Args, progress: (s: string) => void): Promise<Report> {
  // A bad file is refused before minutes of analysis, not after.
  const { applySuppressions, readSuppressions, requirePackPolicies } = await import("../offline/suppressed");
  const suppressions = args.suppressions === undefined ? undefined : readSuppressions(args.suppressions);
  const report = await analyse(args, progress);
  if (args.suppressions === undefined || suppressions === undefined) return report;
  requirePackPolicies(
    args.suppressions,
    suppressions,
    report.policies.map((p) => p.name),
  );
  return applySuppressions(report, suppressions, new Date());
}

async function analyse(args: Args, progress: (s: string) => void): Promise<Report> {
  progress(`reading ${args.files.join(", ")}`);
  const world = loadWorld(...args.files);
  requirePullPair(world);
  // The pack's client and the program's SDK load here, not at start: --help answers at once.
  const { PolicyPackClient } = await import("../offline/analyzer");
  const { diagnoseWorld, offlinePreview, programTargets } = await import("../offline/preview");
  // Which cluster and registry the program points at, before minutes of analysis, not after.
  if (args.command === "preview") programTargets(world);
  const { findingsOf, makeReport, previewReportOf, reportPaths } = await import("../offline/report");
  const { printsNow, traceWorld } = await import("../offline/trace");
  // What the pods print now: the first failing hop of each path, from the model the pack reports from.
  const traced = traceWorld(world);
  const now = printsNow(traced);
  const paths = reportPaths(traced);
  progress("starting the policy pack");
  const pack = await PolicyPackClient.start();
  try {
    const policies = (await pack.info()).policies.map((p) => ({
      name: p.name,
      level: p.enforcementLevel,
      description: p.description,
      url: p.url,
      remediationSteps: p.remediationSteps,
    }));
    if (args.command === "diagnose") {
      const { resources, ignored, before } = await diagnoseWorld(world, pack, progress);
      return makeReport("diagnose", world.file, {
        ignored,
        unread: unreadOf(world),
        findings: findingsOf(before, resources),
        now,
        policies,
        paths,
      });
    }
    return previewReportOf(
      world.file,
      await offlinePreview(world, pack, progress),
      now,
      unreadOf(world),
      policies,
      paths,
    );
  } finally {
    await pack.stop();
  }
}

/** `trace`: no pack, no program; the model itself, over the recording. */
async function trace(args: Args, progress: (s: string) => void): Promise<number> {
  progress(`reading ${args.files.join(", ")}`);
  const world = loadWorld(...args.files);
  requirePullPair(world);
  const { traceWorld, renderTraceMarkdown, renderTraceText } = await import("../offline/trace");
  const report = traceWorld(world, args.filter);
  write(args.outputs, report, { text: renderTraceText, markdown: renderTraceMarkdown });
  // A guessed pair (nothing shows the cluster pulls from the registry) is the pack's advisory.
  const failing = report.paths.filter((p) => p.verdict === "fails");
  const at: Record<FailOn, boolean> = {
    mandatory: failing.some((p) => p.certain),
    advisory: failing.length > 0,
    none: false,
  };
  return at[args.failOn] ? 1 : 0;
}

/** Whether the report holds findings at or above the threshold: before the plan, or after it. */
export function failsAt(report: Report, failOn: FailOn, afterPlan: boolean): boolean {
  const findings = judged(report, afterPlan);
  const levels: Record<FailOn, string[]> = {
    mandatory: ["mandatory"],
    advisory: ["mandatory", "advisory"],
    none: [],
  };
  // A suppression that expired or matches nothing is advisory: it fails only --fail-on advisory.
  return (
    findings.some((f) => levels[failOn].includes(f.level)) ||
    (failOn === "advisory" && report.stale.length > 0)
  );
}

/** Each report in its format (a renderer per format it supports), to its file or to stdout. */
function write<T>(
  outputs: Args["outputs"],
  report: T,
  render: Partial<Record<Format, (r: T) => string>>,
): void {
  for (const o of outputs) {
    const body = (render[o.format] ?? ((r: T) => JSON.stringify(r, null, 2)))(report) + "\n";
    if (o.file === undefined) process.stdout.write(body);
    else {
      try {
        fs.writeFileSync(o.file, body);
      } catch (e) {
        throw new UsageError(
          `--output ${o.file}: cannot be written (${(e as NodeJS.ErrnoException).code ?? e})`,
        );
      }
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  const progress = (s: string) =>
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${s}...\n`);
  try {
    const args = parseArgs(argv);
    if (args instanceof Answer) {
      process.stdout.write(args.text + "\n");
      return 0;
    }
    if (args.command === "trace") return await trace(args, progress);
    // A failure inside the program's outputs can surface as an unhandled rejection: report it like any other.
    const escaped = new Promise<never>((_, reject) => {
      process.once("unhandledRejection", reject);
      process.once("uncaughtException", reject);
    });
    const report = await Promise.race([run(args, progress), escaped]);
    const { renderMarkdown, renderText } = await import("../offline/report");
    const ci = await import("../offline/ci-formats");
    write(args.outputs, report, {
      text: renderText,
      markdown: renderMarkdown,
      sarif: (r) => ci.renderSarif(r, args.afterPlan),
      github: (r) => ci.renderGithub(r, args.afterPlan),
      "azure-devops": (r) => ci.renderAzureDevops(r, args.afterPlan),
    });
    return failsAt(report, args.failOn, args.afterPlan) ? 1 : 0;
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof WorldError ||
      e instanceof ProgramConfigError ||
      e instanceof SuppressionError
    ) {
      process.stderr.write(`aks-acr-guard: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(
      `aks-acr-guard: internal error, please report it: ${(e as Error).stack ?? String(e)}\n`,
    );
    return 3;
  }
}
