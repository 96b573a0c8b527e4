/** The offline preview as text a person reads: findings, the plan as a tree, findings after. */
import { Diagnostic } from "./analyzer";
import { PlannedResource, PreviewReport } from "./preview";

function resourceOf(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return `${type.split(":").pop()} '${parts[3] ?? urn}'`;
}

function findings(title: string, ds: Diagnostic[]): string[] {
  const lines = [title];
  if (ds.length === 0) return [...lines, "  none", ""];
  for (const d of ds) {
    // The engine prefixes each message with the policy's description; the report shows the finding.
    const body = d.message.split("\n").slice(1).join("\n") || d.message;
    lines.push(
      `  ${d.enforcementLevel === "mandatory" ? "✖" : "⚠"} ${d.enforcementLevel} ${d.policyName} on ${resourceOf(d.urn)}`,
    );
    for (const l of body.split("\n")) lines.push(`      ${l}`);
  }
  return [...lines, ""];
}

function planLines(plan: PlannedResource[]): string[] {
  const lines = ["Plan (what `pulumi up` would declare):"];
  if (plan.length === 0) return [...lines, "  nothing to declare", ""];
  const depth = (p: PlannedResource): number => (p.parent === undefined ? 0 : 1 + depth(plan[p.parent]));
  for (const p of plan) {
    const detail = p.custom
      ? Object.entries(p.inputs)
          .filter(([k]) => ["scope", "principalId", "roleDefinitionId", "principalType"].includes(k))
          .map(([k, v]) => `\n${"  ".repeat(depth(p) + 3)}${k}: ${String(v)}`)
          .join("")
      : "";
    lines.push(`  ${"  ".repeat(depth(p))}+ ${p.type}  ${p.name}${detail}`);
  }
  return [...lines, ""];
}

export function renderText(file: string, r: PreviewReport): string {
  const ignored = Object.entries(r.ignored)
    .map(([t, n]) => `${n} ${t}`)
    .join(", ");
  return [
    `aks-acr-guard offline preview of ${file} (a recording: no Azure account is used)`,
    ignored ? `(not read by any policy yet: ${ignored})` : "",
    "",
    ...findings("Findings in the recorded environment:", r.before),
    ...planLines(r.plan),
    ...findings("Findings with the plan applied:", r.after),
  ].join("\n");
}
