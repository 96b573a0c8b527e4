/**
 * The offline reports: text a person reads (findings grouped by the article's causes, the plan as
 * a tree, findings after), JSON with a stable schema (docs/report-schema.md), and markdown for a
 * pull-request comment with a Mermaid diagram of the path cluster -> network -> registry.
 */
import { readFix } from "../core/findings/fix";
import { commandLine, PolicyCommand } from "../core/plan/integration";
import { GUIDES } from "../policies/policies";
import { Diagnostic } from "./analyzer";
import { LeftFinding, leftFindings } from "./left";
import { Finding, StaleSuppression, staleLine, summaryOf, SuppressedFinding } from "./finding";
export type { Finding } from "./finding";
import { PlannedResource, PreviewReport } from "./preview";
import { PolicyResourceInput, urnOf } from "./resources";
import { pathDiagram, type PrintsNow, type TraceHop, type TracePath, type TraceReport } from "./trace";

/** The cause in Microsoft's article a policy stands for, as its guide declares it. */
export function causeOf(policy: string): string {
  return GUIDES[policy]?.cause ?? policy;
}

export interface PlanEntry {
  operation: "create";
  type: string;
  name: string;
  /** Name of the component it belongs to, if any. */
  parent?: string;
  inputs?: Record<string, unknown>;
}

/** The JSON report, version 1 (docs/report-schema.md). */
export interface Report {
  version: 1;
  command: "diagnose" | "preview";
  world: string;
  ignored: Record<string, number>;
  /** What the recording says its capture could not read (capture-world.sh's coverage). */
  unread: string[];
  findings: Finding[];
  plan: PlanEntry[];
  after: Finding[];
  commands: PolicyCommand[];
  /** `preview` only: each finding in `after`, with why the plan leaves it, the config that would fix it, and the fix. */
  left: LeftFinding[];
  /** `preview` only: what the program could not decide (it logs them as warnings too). */
  notes: string[];
  /**
   * What the pods print now, by cluster: the first failing hop of each pull path (core/path), with
   * the cause it stands for. Later hops are findings too; they print once these are fixed.
   */
  now: (PrintsNow & { cause: string })[];
  summary: { mandatory: number; advisory: number; mandatoryAfter: number };
  /** The pack's policies as it describes them (GetAnalyzerInfo): the rules of a SARIF log. */
  policies: ReportPolicy[];
  /**
   * The pull paths that fail or cannot be decided (before the plan), hop by hop as `trace` walks
   * them, without the messages (the findings carry those): what the markdown's diagrams draw.
   */
  paths: ReportPath[];
  /** `--suppressions`: the findings it hides, with the suppression's reason and date. */
  suppressed: SuppressedFinding[];
  /** `preview`: the findings after the plan it hides. */
  suppressedAfter: SuppressedFinding[];
  /** Suppressions that expired or match no finding. */
  stale: StaleSuppression[];
}

export type ReportPath = Pick<TracePath, "cluster" | "registry" | "image" | "verdict" | "certain"> & {
  hops: Omit<TraceHop, "message">[];
};

/** The paths of a trace a report keeps: those that do not pull, without the hops' messages. */
export function reportPaths(t: TraceReport): ReportPath[] {
  return t.paths
    .filter((p) => p.verdict !== "pulls")
    .map((p) => ({
      cluster: p.cluster,
      registry: p.registry,
      ...(p.image ? { image: p.image } : {}),
      verdict: p.verdict,
      certain: p.certain,
      hops: p.hops.map(({ message: _message, ...h }) => h),
    }));
}

export interface ReportPolicy {
  name: string;
  level: string;
  description: string;
  url: string;
  remediationSteps: string;
}

/** Names findings by the resources they came from. */
export function findingsOf(ds: Diagnostic[], resources: readonly PolicyResourceInput[]): Finding[] {
  const byUrn = new Map(resources.map((r) => [urnOf(r), r]));
  return ds.map((d) => {
    const r = byUrn.get(d.urn);
    const parts = d.urn.split("::");
    const type = (r?.type ?? (parts[2] ?? "").split("$").pop() ?? "").split(":").pop() ?? "";
    const name = r?.name ?? parts[3] ?? d.urn;
    const armId = r && typeof r.props.id === "string" ? r.props.id : undefined;
    // The engine prefixes each message with the policy's description; the finding is the rest.
    const body = d.message.split("\n").slice(1).join("\n") || d.message;
    const fix = readFix(body);
    return {
      policy: d.policyName,
      level: d.enforcementLevel,
      cause: causeOf(d.policyName),
      resourceId: armId ?? name,
      resource: `${type} '${name}'`,
      urn: d.urn,
      ...(GUIDES[d.policyName]?.symptom ? { symptom: GUIDES[d.policyName].symptom } : {}),
      detail: body
        .split("\n")
        .filter((l) => !l.startsWith("Fix: "))
        .join("\n"),
      ...(fix ? { fix } : {}),
      message: body,
    };
  });
}

export function planEntries(plan: PlannedResource[]): PlanEntry[] {
  return plan.map((p) => ({
    operation: "create",
    type: p.type,
    name: p.name,
    ...(p.parent !== undefined ? { parent: plan[p.parent].name } : {}),
    ...(p.custom ? { inputs: p.inputs } : {}),
  }));
}

export function makeReport(
  command: Report["command"],
  world: string,
  parts: {
    ignored: Record<string, number>;
    unread?: string[];
    findings: Finding[];
    plan?: PlanEntry[];
    after?: Finding[];
    commands?: PolicyCommand[];
    notes?: string[];
    now?: PrintsNow[];
    policies?: ReportPolicy[];
    paths?: ReportPath[];
  },
): Report {
  // Each fix points at its policy's page, as the pack describes it.
  const docs = new Map((parts.policies ?? []).filter((p) => p.url).map((p) => [p.name, p.url]));
  const documented = (fs: Finding[]) =>
    fs.map((f) => (f.fix && docs.has(f.policy) ? { ...f, fix: { ...f.fix, docs: docs.get(f.policy) } } : f));
  parts = {
    ...parts,
    findings: documented(parts.findings),
    ...(parts.after ? { after: documented(parts.after) } : {}),
  };
  return {
    version: 1,
    command,
    world,
    ignored: parts.ignored,
    unread: parts.unread ?? [],
    findings: parts.findings,
    plan: parts.plan ?? [],
    after: parts.after ?? [],
    commands: parts.commands ?? [],
    left: parts.after ? leftFindings(parts.after, parts.commands ?? []) : [],
    notes: parts.notes ?? [],
    now: (parts.now ?? []).map((n) => ({ ...n, cause: causeOf(n.policy) })),
    summary: summaryOf(parts.findings, parts.after),
    policies: parts.policies ?? [],
    paths: parts.paths ?? [],
    suppressed: [],
    suppressedAfter: [],
    stale: [],
  };
}

/** The report of an offline preview: findings before and after, the plan, and the program's commands. */
export function previewReportOf(
  world: string,
  r: PreviewReport,
  now: PrintsNow[] = [],
  unread: string[] = [],
  policies: ReportPolicy[] = [],
  paths: ReportPath[] = [],
): Report {
  return makeReport("preview", world, {
    now,
    unread,
    policies,
    paths,
    ignored: r.ignored,
    findings: findingsOf(r.before, r.resources),
    plan: planEntries(r.plan),
    after: findingsOf(r.after, [...r.resources, ...r.declared]),
    commands: (r.outputs.commands as PolicyCommand[] | undefined) ?? [],
    notes: (r.outputs.notes as string[] | undefined) ?? [],
  });
}

function grouped(title: string, fs: Finding[]): string[] {
  const lines = [title];
  if (fs.length === 0) return [...lines, "  none", ""];
  const causes = [...new Set(fs.map((f) => f.cause))];
  for (const cause of causes) {
    lines.push(`  ${cause}`);
    for (const f of fs.filter((x) => x.cause === cause)) {
      lines.push(`    ${f.level === "mandatory" ? "✖" : "⚠"} ${f.level} ${f.policy} on ${f.resource}`);
      for (const l of f.message.split("\n")) lines.push(`        ${l}`);
    }
  }
  return [...lines, ""];
}

const PLAN_DETAIL = [
  "scope",
  "principalId",
  "roleDefinitionId",
  "virtualNetworkName",
  "remoteVirtualNetwork",
  "privateZoneName",
  "virtualNetwork",
  "ruleCollectionGroupName",
  "firewallPolicyName",
  "privateEndpointName",
  "priority",
  "subscriptionId",
];

/** What the plan says when it declares nothing: "no fix is missing" only when nothing mandatory remains. */
function nothingToDeclare(r: Report): string {
  const n = r.summary.mandatoryAfter;
  return n === 0
    ? "nothing to declare: no fix is missing"
    : `nothing to declare, and ${n} mandatory finding${n === 1 ? "" : "s"} remain${n === 1 ? "s" : ""}: no declaration of this program fixes ${n === 1 ? "it" : "them"} (see 'Left after the plan')`;
}

function planLines(r: Report): string[] {
  const plan = r.plan;
  const lines = ["Plan (what `pulumi up` would declare):"];
  const fixes = plan.filter((p) => p.inputs);
  if (fixes.length === 0) lines.push(`  ${nothingToDeclare(r)}`);
  // A parent is named: the nearest entry before it of that name (a component may share its parent's name).
  const depth = (p: PlanEntry): number => {
    const i = plan.indexOf(p);
    const parent = plan
      .slice(0, i)
      .reverse()
      .find((q) => q.name === p.parent);
    return parent ? 1 + depth(parent) : 0;
  };
  for (const p of fixes.length === 0 ? [] : plan) {
    lines.push(`  ${"  ".repeat(depth(p))}+ ${p.type}  ${p.name}`);
    for (const [k, v] of Object.entries(p.inputs ?? {})) {
      if (!PLAN_DETAIL.includes(k)) continue;
      lines.push(`${"  ".repeat(depth(p) + 3)}${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    }
  }
  return [...lines, ""];
}

/** What the capture could not read: the checks that depend on it ask instead of failing. */
function unreadLines(r: Report): string[] {
  if (r.unread.length === 0) return [];
  return [
    "Not read by the capture (what depends on these is asked about, not failed):",
    ...r.unread.map((u) => `  - ${u}`),
    "",
  ];
}

export function renderText(r: Report): string {
  const ignored = Object.entries(r.ignored)
    .map(([t, n]) => `${n} ${t}`)
    .join(", ");
  const out = [
    `aks-acr-guard ${r.command} of ${r.world} (a recording: no Azure account is used)`,
    ignored ? `(types no policy reads, ignored: ${ignored})` : "",
    ...unreadLines(r),
    countLine(r),
    "",
    ...nowLines(r).map((l) => l.replace(/^- /, "  ")),
    ...grouped("Findings in the recorded environment:", r.findings),
    ...suppressionLines(r).map((l) => l.replace(/^- /, "  ")),
  ];
  if (r.command === "preview") {
    out.push(...planLines(r));
    if (r.commands.length > 0)
      out.push("Not declarable, run:", ...r.commands.map((c) => `  ${commandLine(c)}`), "");
    if (r.notes.length > 0) out.push("The program could not decide:", ...r.notes.map((n) => `  ${n}`), "");
    out.push(...grouped("Findings with the plan applied:", r.after));
    if (r.left.length > 0) {
      out.push("Left after the plan (no declaration of this program fixes these):");
      for (const l of r.left) {
        out.push(
          `  ${l.level === "mandatory" ? "✖" : "⚠"} ${l.policy} on ${l.resource}`,
          `      why: ${l.why}`,
          `      config that would let it fix this: ${l.config}`,
          ...l.fix.map((f) => `      fix: ${f}`),
        );
      }
      out.push("");
    }
  }
  return out.join("\n");
}

/** The findings suppressions hide, and the suppressions to review (a list, for text and markdown alike). */
function suppressionLines(r: Report): string[] {
  const out: string[] = [];
  const hidden = [
    ...r.suppressed,
    ...r.suppressedAfter.filter((a) => !r.suppressed.some((b) => b.urn === a.urn && b.policy === a.policy)),
  ];
  if (hidden.length > 0)
    out.push(
      "Suppressed (--suppressions):",
      ...hidden.map((f) => `- ${f.level} ${f.policy} on ${f.resource}: "${f.reason}", until ${f.expires}`),
      "",
    );
  if (r.stale.length > 0) out.push("Suppressions to review:", ...r.stale.map((s) => `- ${staleLine(s)}`), "");
  return out;
}

/** One line: what was found, and what is left after the plan. */
function countLine(r: Report): string {
  const clusters = new Set(r.now.map((n) => n.cluster)).size;
  return (
    `${r.summary.mandatory} mandatory and ${r.summary.advisory} advisory ${r.summary.mandatory + r.summary.advisory === 1 ? "finding" : "findings"}` +
    (r.now.length
      ? `; pulls fail now on ${clusters} ${clusters === 1 ? "cluster" : "clusters"}`
      : "; no pull fails now") +
    (r.command === "preview" ? `; ${r.summary.mandatoryAfter} mandatory left after the plan` : "")
  );
}

/** What the pods print now, grouped by cluster (a list, for text and markdown alike). */
function nowLines(r: Report): string[] {
  if (r.now.length === 0) return [];
  const out = ["What the pods print now (the first failing step of each pull; fix it first):"];
  for (const cluster of [...new Set(r.now.map((n) => n.cluster))].sort()) {
    out.push(`- cluster '${cluster}':`);
    for (const n of r.now.filter((x) => x.cluster === cluster))
      out.push(
        `    - from '${n.registry}'${n.image ? ` (${n.image})` : ""}: ${n.symptom ?? n.cause} (${n.policy}, ${n.step})`,
      );
  }
  return [...out, ""];
}

/** The path cluster -> network -> registry, links marked broken by the findings. */
/** The longest run of backticks in a text. */
const longestTicks = (text: string) => Math.max(0, ...(text.match(/`+/g) ?? []).map((t) => t.length));

/** A fenced block that no text can close: its fence is longer than any backtick run inside. */
export function fenced(lang: string, lines: string[]): string[] {
  const fence = "`".repeat(Math.max(3, longestTicks(lines.join("\n")) + 1));
  return [`${fence}${lang}`, ...lines, fence];
}

/** Text from a recording or a stack, inert in markdown and in the HTML markdown allows: one line, punctuation escaped. */
export function inert(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~])/g, "\\$1");
}

/** Inline code that no text can close. */
export function inlineCode(text: string): string {
  const ticks = "`".repeat(longestTicks(text) + 1);
  const flat = text.replace(/[\r\n]+/g, " ").replace(/\|/g, "\\|");
  return `${ticks} ${flat} ${ticks}`;
}

/** What a pull-request comment holds: GitHub takes 65,536 characters; the rest is left for a header. */
export const MARKDOWN_LIMIT = 60_000;

/**
 * Markdown lines within a size: groups of lines (a finding's row, its details) are added whole while
 * they fit, and what does not is counted in one line that says where the rest is.
 */
class Page {
  readonly out: string[] = [];
  private size = 0;
  /** Kept free for the lines that say what was left out. */
  private static readonly RESERVE = 3_000;
  constructor(private readonly limit: number) {}
  private fits(lines: string[]): boolean {
    const n = lines.reduce((k, l) => k + l.length + 1, 0);
    if (this.size + n > this.limit - Page.RESERVE) return false;
    this.size += n;
    return true;
  }
  /** Adds lines that must be there (headings, notes): always, counted. */
  line(...lines: string[]): void {
    this.size += lines.reduce((k, l) => k + l.length + 1, 0);
    this.out.push(...lines);
  }
  /** Adds each group while it fits; then one line naming how many `what` are left out. */
  groups(what: string, groups: string[][]): void {
    const shown = groups.findIndex((g) => !this.fits(g));
    const end = shown < 0 ? groups.length : shown;
    for (const g of groups.slice(0, end)) this.out.push(...g);
    if (end < groups.length)
      this.line(
        `_${groups.length - end} more ${what} not shown: this comment stays under ${this.limit.toLocaleString("en-US")} ` +
          "characters; `--format json` and `--format sarif` hold them all._",
        "",
      );
  }
}

export function renderMarkdown(r: Report, limit = MARKDOWN_LIMIT): string {
  const page = new Page(limit);
  const table = (what: string, fs: Finding[]) => {
    if (fs.length === 0) return page.line("None.");
    page.line("| level | policy | resource | cause |", "|---|---|---|---|");
    page.groups(
      what,
      fs.map((f) => [`| ${f.level} | \`${f.policy}\` | ${inert(f.resource)} | ${inert(f.cause)} |`]),
    );
  };
  page.line(
    `## aks-acr-guard ${r.command}: ${r.summary.mandatory} mandatory, ${r.summary.advisory} advisory`,
    "",
  );
  page.groups(
    "unread scopes",
    unreadLines(r).map((l) => [inert(l)]),
  );
  page.line(countLine(r), "");
  page.groups(
    "failing pulls",
    nowLines(r).map((l) => [inert(l)]),
  );
  // The failing paths as the recording shows them, naming their real resources (trace's model).
  page.groups(
    "pull path diagrams",
    r.paths
      .filter((p) => p.verdict === "fails")
      .map((p, n) => [
        `**${inert(p.cluster.split("/").pop() ?? p.cluster)} → ${inert(p.registry.split("/").pop() ?? p.registry)}**`,
        "",
        ...pathDiagram(p, n),
      ]),
  );
  page.line("", "### Findings", "");
  table("findings", r.findings);
  page.line("");
  page.groups(
    "suppressions",
    suppressionLines(r).map((l) => [l.endsWith(":") ? `**${inert(l)}**` : inert(l)]),
  );
  page.groups(
    "findings' details",
    r.findings.map((f) => [
      `<details><summary>${inert(f.policy)} on ${inert(f.resource)}</summary>`,
      "",
      ...fenced("text", f.message.split("\n")),
      "</details>",
      "",
    ]),
  );
  if (r.command === "preview") {
    page.line("### Plan", "");
    const fixes = r.plan.filter((p) => p.inputs);
    if (fixes.length === 0) page.line(`${inert(nothingToDeclare(r)).replace(/^n/, "N")}.`);
    else
      page.groups(
        "planned resources",
        fixes.map((p) => [`- create ${inlineCode(p.type)} **${inert(p.name)}**`]),
      );
    page.line("");
    if (r.commands.length > 0) {
      page.line("### Not declarable: run", "");
      page.groups("commands", [fenced("sh", r.commands.map(commandLine))]);
      page.line("");
    }
    if (r.notes.length > 0) {
      page.line("### The program could not decide", "");
      page.groups(
        "notes",
        r.notes.map((n) => [`- ${inert(n)}`]),
      );
      page.line("");
    }
    page.line("### After the plan", "");
    table("findings after the plan", r.after);
    page.line("");
    if (r.left.length > 0) {
      page.line("### Left after the plan", "");
      page.groups(
        "findings left",
        r.left.map((l) => [
          `- **${inert(l.policy)}** on ${inert(l.resource)} (${l.level})`,
          `  - why: ${inert(l.why)}`,
          `  - config that would let it fix this: ${inert(l.config)}`,
          ...l.fix.map((f) => `  - fix: ${inlineCode(f)}`),
        ]),
      );
      page.line("");
    }
  }
  return page.out.join("\n");
}
