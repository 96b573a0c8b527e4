/**
 * A fleet recording, the shape of a platform team's tenant: per team a private cluster pulling from
 * its own registry through a private endpoint in its hub, every zone named privatelink.azurecr.io
 * (each team's in its own group), peerings, links and a pull role; every tenth team's zone is not
 * linked to its spoke. Prints how the model (`trace`) and the whole `diagnose` grow with the teams:
 * 10x the teams should cost at most 12x the time (issue: recordings at the scale of an organisation).
 *
 *   npx tsx bench/fleet.ts [teams...]     (default 10 100 1000; FLEET_DIAGNOSE=0 skips diagnose)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PolicyPackClient, stackRequest } from "../offline/analyzer";
import { configureFor } from "../offline/preview";
import { traceWorld } from "../offline/trace";
import { loadWorld, stackOf } from "../offline/world";

const ROOT = path.join(__dirname, "..");
const TEAM = JSON.parse(
  fs.readFileSync(path.join(ROOT, "scenarios", "healthy-hub-spoke", "world.json"), "utf8"),
) as { resources: { id: string }[] };

/** Team `i`'s copy of the healthy hub-and-spoke: its own names, groups and principal ids. */
function team(i: number): unknown[] {
  const t = `t${i}`;
  const hex = i.toString(16).padStart(6, "0");
  let text = JSON.stringify(TEAM.resources)
    .replace(/rg-(aks|acr|hub|dns)/g, `rg-$1-${t}`)
    .replace(/aks-prod/g, `aks-${t}`)
    .replace(/contosoacr/g, `contosoacr${t}`)
    .replace(/vnet-(aks|hub)/g, `vnet-$1-${t}`)
    .replace(/6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b/g, `6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e${hex}`)
    .replace(/e8d7c6b5-a493-4281-8f7e-6d5c4b3a2910/g, `e8d7c6b5-a493-4281-8f7e-6d5c4b${hex}`);
  if (i % 10 === 9) {
    // A broken team: its zone is not linked to its spoke.
    const records = JSON.parse(text) as { id: string }[];
    text = JSON.stringify(records.filter((r) => !r.id.endsWith(`vnet-aks-${t}-link`)));
  }
  return JSON.parse(text) as unknown[];
}

function world(teams: number): string {
  const file = path.join(os.tmpdir(), `aks-acr-guard-fleet-${teams}.json`);
  const resources = Array.from({ length: teams }, (_, i) => team(i)).flat();
  fs.writeFileSync(file, JSON.stringify({ resources }));
  return file;
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const teams = sizes.length ? sizes : [10, 100, 1000];
const rows: {
  teams: number;
  resources: number;
  trace: number;
  fails: number;
  pack?: number;
  diagnose?: number;
  mb?: number;
}[] = [];
async function packAlone(w: ReturnType<typeof loadWorld>): Promise<number> {
  const pack = await PolicyPackClient.start();
  try {
    await configureFor(w, pack);
    const req = stackRequest(stackOf(w).resources);
    const t = process.hrtime.bigint();
    await pack.send(req);
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    await pack.stop();
  }
}

async function main() {
  for (const n of teams) {
    const file = world(n);
    const w = loadWorld(file);
    const t0 = process.hrtime.bigint();
    const report = traceWorld(w);
    const trace = Number(process.hrtime.bigint() - t0) / 1e6;
    const row: (typeof rows)[number] = {
      teams: n,
      resources: w.resources.length,
      trace,
      fails: report.summary.fails,
    };
    row.pack = await packAlone(w);
    if (process.env.FLEET_DIAGNOSE !== "0") {
      const t1 = process.hrtime.bigint();
      let out = "";
      try {
        out = execFileSync(
          "/usr/bin/time",
          [
            "-f",
            "%M",
            process.execPath,
            path.join(ROOT, "bin", "aks-acr-guard.js"),
            "diagnose",
            file,
            "--format",
            "json",
          ],
          { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 30 },
        );
      } catch (e) {
        // Exit 1: findings, as every tenth team is broken.
        const err = e as { stdout?: string; stderr?: string; status?: number };
        if (err.status !== 1) throw e;
        out = err.stdout ?? "";
        row.mb = Number(/(\d+)\s*$/.exec(err.stderr ?? "")?.[1] ?? 0) / 1024;
      }
      row.diagnose = Number(process.hrtime.bigint() - t1) / 1e6;
      const mandatory = (JSON.parse(out) as { findings: { level: string }[] }).findings.filter(
        (f) => f.level === "mandatory",
      ).length;
      console.log(
        `${n} teams: diagnose finds ${mandatory} mandatory finding(s), for ${Math.floor(n / 10)} broken team(s)`,
      );
    }
    rows.push(row);
    if (!process.env.FLEET_KEEP) fs.rmSync(file, { force: true });
  }
  for (const r of rows)
    console.log(
      `${String(r.teams).padStart(5)} teams, ${String(r.resources).padStart(6)} records: trace ${r.trace.toFixed(0).padStart(7)} ms` +
        ` (${r.fails} failing paths), pack ${r.pack!.toFixed(0).padStart(6)} ms` +
        (r.diagnose !== undefined
          ? `, diagnose ${r.diagnose.toFixed(0).padStart(7)} ms${r.mb ? `, ${r.mb.toFixed(0)} MB` : ""}`
          : ""),
    );
  for (let i = 1; i < rows.length; i++) {
    const k = rows[i].teams / rows[i - 1].teams;
    const g = (a?: number, b?: number) => (a && b ? (b / a).toFixed(1) + "x" : "-");
    console.log(
      `${k}x the teams: trace ${g(rows[i - 1].trace, rows[i].trace)}, pack ${g(rows[i - 1].pack, rows[i].pack)}, ` +
        `diagnose ${g(rows[i - 1].diagnose, rows[i].diagnose)} ` +
        `(target: at most ${(1.2 * k).toFixed(0)}x)`,
    );
  }
}

void main();
