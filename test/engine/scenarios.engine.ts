/**
 * Every scenario under the real engine, as a platform team meets it: the recorded environment is a
 * stack that owns it (deployed without the pack, as it was before the pack was enforced);
 * `pulumi preview --policy-pack` reports what `expected.json` says; `pulumi up` with the program
 * (`index.ts`: AksAcrIntegration, its observer reading the fake Azure over HTTPS) declares the
 * fixes; a second preview finds what is left; a last `up` changes nothing.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { loadWorld } from "../../offline/world";
import {
  azureConfig,
  environment,
  useEngineContext,
  engineStack,
  EngineFinding,
  preview,
  programConfig,
  REPO_ROOT,
  RunResult,
  seedWorld,
  subscriptionOf,
  up,
} from "./engine";
import { ScenarioExpected } from "../harness";
import { PolicyPackClient } from "../../offline/analyzer";
import { diagnoseWorld } from "../../offline/preview";
import { commandLine, PolicyCommand } from "../../core/plan/integration";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");

const key = (f: { policy: string; level: string; resource: string }) =>
  `${f.policy} ${f.level} ${f.resource}`;

/** The findings the pack reports on resources (the engine adds none of its own here), sorted. */
function shape(findings: EngineFinding[]): string[] {
  return findings.map(key).sort();
}

const told = (findings: EngineFinding[]) => findings.map((f) => `${key(f)}: ${f.message}`).join("\n");

/** A finding as both report it: the resource by its Pulumi name, the message whole. */
const said = (f: { policy: string; level: string; resource: string; message: string }) =>
  `${f.policy} ${f.level} ${f.resource}: ${f.message.trimEnd()}`;

/** The offline preview's pack (offline/analyzer.ts), started once for every scenario. */
let offlinePack: Promise<PolicyPackClient> | undefined;
after(async () => (await offlinePack)?.stop());

const names = fs
  .readdirSync(SCENARIOS)
  .filter((n) => fs.existsSync(path.join(SCENARIOS, n, "expected.json")));

for (const name of names) {
  describe(`scenario '${name}' under the real engine`, function () {
    this.timeout(300_000);
    const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
    const expected = JSON.parse(
      fs.readFileSync(path.join(SCENARIOS, name, "expected.json"), "utf8"),
    ) as ScenarioExpected;
    const mandatoryAfter = expected.after.some((f) => f.level === "mandatory");
    /** A preview blocks on the mandatory findings `expected.json` leaves after the fix, and no other. */
    const leavesOnlyExpected = (r: RunResult) => {
      assert.deepEqual(
        shape(r.findings.filter((f) => f.level === "mandatory")),
        expected.after
          .filter((f) => f.level === "mandatory")
          .map(key)
          .sort(),
        told(r.findings),
      );
      assert.equal(r.ok, !mandatoryAfter, r.error ?? "the preview passed");
    };
    const ctx = useEngineContext();
    let stack: Stack;
    let fixed = false;

    before(async () => {
      seedWorld(ctx, world);
      const sub = subscriptionOf(world);
      stack = await engineStack(
        ctx,
        name,
        async () => {
          await environment(world, sub);
          if (fixed) {
            const program = (await import("../../index")).default as () => Record<string, unknown>;
            return program();
          }
          return {};
        },
        { ...azureConfig(ctx, sub), ...programConfig(world) },
      );
    });

    it("deploys the recorded environment as a stack that owns it", async () => {
      const r = await up(ctx, stack);
      assert.ok(r.ok, r.error);
      assert.deepEqual(ctx.azure.refused, []);
    });

    it("pulumi preview --policy-pack reports what expected.json says", async () => {
      const r = await preview(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
      assert.deepEqual(shape(r.findings), expected.before.map(key).sort(), told(r.findings));
      for (const e of expected.before) {
        const f = r.findings.find((x) => key(x) === key(e))!;
        for (const c of e.contains) assert.ok(f.message.includes(c), `${key(e)} says "${c}": ${f.message}`);
      }
      const mandatory = expected.before.some((f) => f.level === "mandatory");
      assert.equal(r.ok, !mandatory, r.error ?? "the preview passed");
    });

    it("the offline preview reports what the engine reports, word for word", async () => {
      const engine = await preview(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
      offlinePack ??= PolicyPackClient.start();
      const offline = await diagnoseWorld(world, await offlinePack);
      assert.deepEqual(
        offline.before
          .map((d) =>
            said({
              policy: d.policyName,
              level: d.enforcementLevel,
              resource: d.urn.split("::").pop() ?? "",
              message: d.message,
            }),
          )
          .sort(),
        engine.findings.map(said).sort(),
      );
    });

    it("pulumi preview --policy-pack of the program blocks only on what expected.json leaves", async () => {
      // What an interactive `pulumi up` shows (and is stopped by) before it deploys the fixes: the
      // fixes are planned, their computed outputs unknown; nothing planned reads as missing.
      fixed = true;
      const r = await preview(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
      leavesOnlyExpected(r);
    });

    it("pulumi up --policy-pack with the program declares the fixes", async () => {
      const r = await up(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
      assert.equal(r.ok, !mandatoryAfter, r.error ?? "up passed");
      const declared = ((r.outputs.declared as string[] | undefined) ?? []).map((d) => d.split(" ")[0]);
      if (expected.declares) assert.deepEqual(declared.sort(), [...expected.declares].sort());
      else assert.ok(declared.length > 0, "the program declares a fix");
      const commands = ((r.outputs.commands as PolicyCommand[] | undefined) ?? []).map(commandLine);
      for (const c of expected.commands ?? []) {
        assert.ok(
          commands.some((line) => line.includes(c)),
          `a command contains ${c}: ${commands.join("; ")}`,
        );
      }
      assert.deepEqual(ctx.azure.refused, []);
    });

    it("a second preview finds only what expected.json leaves", async () => {
      const r = await preview(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
      leavesOnlyExpected(r);
    });

    it("a second and a third pulumi up change nothing (no churn: nothing declared only every other run)", async () => {
      for (const run of ["second", "third"]) {
        const r = await up(ctx, stack, { policyPack: true, policyConfig: world.policyConfig });
        assert.equal(r.ok, !mandatoryAfter, `${run} up: ${r.error ?? "passed"}`);
        assert.deepEqual(Object.keys(r.changes), ["same"], `${run} up: ${JSON.stringify(r.changes)}`);
      }
    });
  });
}
