/**
 * `pulumi policy analyze` (CLI 3.229 and later; `--file` from 3.249): the pack judges a deployed stack's state without
 * running its program, as a platform team sweeps its existing stacks. Each scenario is deployed as a
 * stack that owns it, with the AksAcrObserver the program declares (what the analysis sees of the
 * cluster's scale sets, credentials and admin passwords is that component's outputs as of the last
 * `up`); then `policy analyze --stack` and `--file` (a `pulumi stack export`) must report what
 * `pulumi preview --policy-pack` reports, word for word, and fail exactly when it finds something
 * mandatory. What the CLI lacks (3.248 has no `--file`) is skipped, saying so.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { loadWorld } from "../../offline/world";
import {
  azureConfig,
  EngineContext,
  useEngineContext,
  engineStack,
  environment,
  EngineFinding,
  findingOf,
  POLICIES_DIR,
  preview,
  REPO_ROOT,
  seedWorld,
  subscriptionOf,
  unique,
  up,
} from "./engine";

const run = promisify(execFile);
const PULUMI = path.join(process.env.AKS_ACR_GUARD_PULUMI_ROOT ?? "", "bin", "pulumi");
const line = (f: EngineFinding) => `${f.policy} ${f.level} ${f.resource}: ${f.message.trimEnd()}`;

interface Analysis {
  code: number;
  stderr: string;
  findings: EngineFinding[];
}

/** Runs the CLI in the stack's project folder, with the suite's backend and passphrase. */
async function pulumi(ctx: EngineContext, stack: Stack, args: string[]) {
  const ws = stack.workspace as LocalWorkspace;
  try {
    const { stdout, stderr } = await run(PULUMI, args, {
      cwd: ws.workDir,
      env: {
        ...process.env,
        ...ctx.env,
        PULUMI_BACKEND_URL: `file://${path.join(ctx.dir, "backend")}`,
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** `pulumi policy analyze --json ...`: its exit code and the policy events it printed. */
async function analyze(ctx: EngineContext, stack: Stack, source: string[]): Promise<Analysis> {
  const r = await pulumi(ctx, stack, [
    "policy",
    "analyze",
    ...source,
    "--policy-pack",
    POLICIES_DIR,
    "--json",
  ]);
  const events = r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as EngineEvent);
  const findings = unique(events.flatMap((e) => (e.policyEvent ? [findingOf(e.policyEvent)] : [])));
  return { code: r.code, stderr: r.stderr, findings };
}

/** README's "Sweep existing stacks" loop, as a user pastes it (PACK set before it). */
function sweepLoop(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Sweep existing stacks"));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const loop = blocks.find((b) => b.includes("pulumi stack ls --all"));
  if (!loop) throw new Error('README.md\'s "Sweep existing stacks" has no loop over pulumi stack ls --all');
  return loop;
}

describe("pulumi policy analyze: the pack over deployed stacks, without their programs", function () {
  this.timeout(300_000);

  let hasFile = false;
  before(async function () {
    const help = await run(PULUMI, ["policy", "analyze", "--help"]).catch(() => undefined);
    if (!help) {
      process.stderr.write(
        `      (pulumi ${process.env.AKS_ACR_GUARD_PULUMI_VERSION} has no 'policy analyze')\n`,
      );
      this.skip();
    }
    hasFile = help.stdout.includes("--file");
  });

  for (const [name, mandatory] of [
    ["broken-hub-spoke", true],
    ["kubelet-identity-off-vmss", true],
    ["healthy-hub-spoke", false],
  ] as const) {
    describe(`scenario '${name}'`, () => {
      const world = loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
      const ctx = useEngineContext();
      let stack: Stack;
      let previewed: EngineFinding[];

      before(async () => {
        seedWorld(ctx, world);
        const sub = subscriptionOf(world);
        stack = await engineStack(ctx, name, () => environment(world, sub), azureConfig(ctx, sub));
        const deployed = await up(ctx, stack);
        assert.ok(deployed.ok, deployed.error);
        const p = await preview(ctx, stack, { policyPack: true });
        previewed = p.findings;
        assert.equal(p.ok, !mandatory, p.error ?? "the preview passed");
        if (mandatory) assert.ok(previewed.some((f) => f.level === "mandatory"));
        else
          assert.deepEqual(
            previewed.filter((f) => f.level === "mandatory"),
            [],
          );
      });
      const judged = (a: Analysis) => {
        assert.deepEqual(a.findings.map(line).sort(), previewed.map(line).sort(), a.stderr);
        if (mandatory) {
          assert.notEqual(a.code, 0, "a mandatory finding fails the analysis");
          assert.match(a.stderr, /mandatory policy violations were found/);
        } else assert.equal(a.code, 0, a.stderr);
      };

      it(`--stack reports what pulumi preview --policy-pack reports, and ${mandatory ? "fails" : "passes"}`, async () => {
        judged(await analyze(ctx, stack, ["--stack", name]));
      });

      it("README's loop over `pulumi stack ls --all` names exactly the stacks the pack would stop", async () => {
        const outside = fs.mkdtempSync(path.join(ctx.dir, "sweep-"));
        const r = await run("bash", ["-c", sweepLoop()], {
          cwd: outside,
          env: {
            ...process.env,
            ...ctx.env,
            PULUMI_BACKEND_URL: `file://${path.join(ctx.dir, "backend")}`,
            PACK: POLICIES_DIR,
          },
          maxBuffer: 64 * 1024 * 1024,
        });
        const last = r.stdout.trim().split("\n").pop();
        assert.match(r.stdout, new RegExp(`^== \\S*${name}$`, "m"), "the loop analyzed the stack");
        assert.match(
          last ?? "",
          mandatory ? new RegExp(`would stop: \\S*/${name}$`) : /would stop: none$/,
          r.stdout,
        );
      });

      it("--file of a `pulumi stack export` reports the same, with no stack selected", async function () {
        if (!hasFile) {
          process.stderr.write(
            `      (pulumi ${process.env.AKS_ACR_GUARD_PULUMI_VERSION} has no 'policy analyze --file')\n`,
          );
          this.skip();
        }
        const file = path.join(ctx.dir, `${name}.state.json`);
        const exported = await pulumi(ctx, stack, ["stack", "export", "--stack", name, "--file", file]);
        assert.equal(exported.code, 0, exported.stderr);
        assert.ok(fs.statSync(file).size > 0);
        judged(await analyze(ctx, stack, ["--file", file]));
      });
    });
  }
});
