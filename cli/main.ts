/**
 * `aks-acr-guard`: the policy pack and the program over a recorded environment, without Azure.
 *
 *   aks-acr-guard diagnose <world.json>... [--format text|json|markdown]
 *   aks-acr-guard preview  <world.json>... [--format text|json|markdown]
 *   aks-acr-guard trace    <world.json>... [--cluster ID] [--registry ID] [--image REF] [--format ...]
 *   aks-acr-guard --help | --version
 *
 * Exit 0 when nothing mandatory remains (after the plan, for preview), 1 when something does,
 * 2 on bad input. The report alone goes to stdout; progress goes to stderr.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ProgramConfigError } from "../core/program-config";
import { PACKAGE_ROOT } from "../offline/package-root";
import type { Report } from "../offline/report";
import type { TraceFilter } from "../offline/trace";
import { loadWorld, requirePullPair, unreadOf, WorldError } from "../offline/world";

const USAGE = `usage: aks-acr-guard <diagnose|preview> <world.json>... [--format text|json|markdown]
       aks-acr-guard trace <world.json>... [--cluster ID] [--registry ID] [--image REF] [--format text|json|markdown]
       aks-acr-guard --help | --version

  diagnose   run the policy pack over a recorded environment and print the findings
  preview    also run the program against it: the plan that fixes them, and the findings after
  trace      the pull path of each cluster and registry, hop by hop (resolve, route, admit, authorize,
             content), with the policy that reports each failing hop: the model the pack reports from.
             --cluster and --registry take an ARM id or a name (a registry also its login server);
             --image traces one image reference from each cluster

Exit status: 0 when nothing mandatory remains (after the plan, for preview; no failing path, for
trace), 1 when something does, 2 on bad input.

A world is ARM resource JSON as Azure Resource Graph returns it ({"resources": [...]}, or the raw
output of az graph query -o json), Kubernetes objects as kubectl get -o json prints them, or both
in one file ({"resources", "kubernetes", "config", "policyConfig"}); scripts/capture-world.sh records one.`;

export class UsageError extends Error {}

/** What the command prints and exits 0 with, instead of running: `--help` and `--version`. */
export class Answer {
  constructor(readonly text: string) {}
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string })
    .version;
}

interface Args {
  command: "diagnose" | "preview" | "trace";
  files: string[];
  format: "text" | "json" | "markdown";
  /** trace's filters. */
  filter: TraceFilter;
}

export function parseArgs(argv: string[]): Args | Answer {
  if (argv.some((a) => a === "--help" || a === "-h")) return new Answer(USAGE);
  if (argv.some((a) => a === "--version" || a === "-V")) return new Answer(packageVersion());
  const [command, ...rest] = argv;
  if (command !== "diagnose" && command !== "preview" && command !== "trace")
    throw new UsageError(command === undefined ? USAGE : `unknown command '${command}'\n${USAGE}`);
  const files: string[] = [];
  let format: Args["format"] = "text";
  const filter: TraceFilter = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const option = /^--(cluster|registry|image)(=.*)?$/.exec(a);
    if (option) {
      if (command !== "trace") throw new UsageError(`--${option[1]} is trace's option\n${USAGE}`);
      const v = option[2] ? option[2].slice(1) : rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`--${option[1]} needs a value\n${USAGE}`);
      filter[option[1] as keyof TraceFilter] = v;
    } else if (a === "--format" || a.startsWith("--format=")) {
      const v = a.includes("=") ? a.split("=")[1] : rest[++i];
      if (v !== "text" && v !== "json" && v !== "markdown")
        throw new UsageError(`--format is ${JSON.stringify(v)}; expected text, json or markdown`);
      format = v;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else files.push(a);
  }
  if (files.length === 0) throw new UsageError(`${command} needs a world file\n${USAGE}`);
  return { command, files, format, filter };
}

export async function run(args: Args, progress: (s: string) => void): Promise<Report> {
  progress(`reading ${args.files.join(", ")}`);
  const world = loadWorld(...args.files);
  requirePullPair(world);
  // The pack's client and the program's SDK load here, not at start: --help answers at once.
  const { PolicyPackClient } = await import("../offline/analyzer");
  const { diagnoseWorld, offlinePreview, programTargets } = await import("../offline/preview");
  // Which cluster and registry the program points at, before minutes of analysis, not after.
  if (args.command === "preview") programTargets(world);
  const { findingsOf, makeReport, previewReportOf } = await import("../offline/report");
  const { printsNow, traceWorld } = await import("../offline/trace");
  // What the pods print now: the first failing hop of each path, from the model the pack reports from.
  const now = printsNow(traceWorld(world));
  progress("starting the policy pack");
  const pack = await PolicyPackClient.start();
  try {
    if (args.command === "diagnose") {
      const { resources, ignored, before } = await diagnoseWorld(world, pack, progress);
      return makeReport("diagnose", world.file, {
        ignored,
        unread: unreadOf(world),
        findings: findingsOf(before, resources),
        now,
      });
    }
    return previewReportOf(world.file, await offlinePreview(world, pack, progress), now, unreadOf(world));
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
  print(args.format, report, renderTraceText, renderTraceMarkdown);
  // A guessed pair (nothing shows the cluster pulls from the registry) is the pack's advisory: no gate.
  return report.paths.some((p) => p.verdict === "fails" && p.certain) ? 1 : 0;
}

/** The report alone on stdout: text, markdown, or JSON. */
function print<T>(
  format: Args["format"],
  report: T,
  text: (r: T) => string,
  markdown: (r: T) => string,
): void {
  const render = { text, markdown, json: (r: T) => JSON.stringify(r, null, 2) };
  process.stdout.write(render[format](report) + "\n");
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
    print(args.format, report, renderText, renderMarkdown);
    return report.summary.mandatoryAfter > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof WorldError || e instanceof ProgramConfigError) {
      process.stderr.write(`aks-acr-guard: ${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(
      `aks-acr-guard: internal error, please report it: ${(e as Error).stack ?? String(e)}\n`,
    );
    return 1;
  }
}
