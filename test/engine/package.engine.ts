/**
 * The package as a user meets it: packed, installed into a project of their own that cannot see
 * this repository, and used there the three ways the README gives: a program declaring the
 * components under the real engine with the pack enforced from node_modules, the command on a
 * bundled recording, and the pack started from its installed folder.
 */
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { loadWorld } from "../../offline/world";
import { PolicyPackClient } from "../../offline/analyzer";
import { azureConfig, useEngineContext } from "./engine";
import { packAndInstall, REPO_ROOT, UserProject } from "./user-project";
import { policies } from "../../policies/policies";

/** The pack's policies, as this tree declares them: the installed package must ship the same. */
const POLICY_NAMES = policies.map((p) => p.name).sort();

const run = promisify(execFile);
const DEMO = path.join("node_modules", "aks-acr-guard", "scenarios", "broken-hub-spoke", "world.json");
const CI_PRINCIPAL = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

interface StackRun {
  ok: boolean;
  error?: string;
  findings: { policy: string; level: string; urn: string; message: string }[];
  stackPolicies: { pack: string; passed: string[]; failed: string[] }[];
  changes: Record<string, number>;
  outputs: Record<string, unknown>;
}

describe("the package, installed from its tarball into a user's project", function () {
  this.timeout(600_000);
  let project: UserProject;
  let settings: string;

  before(function () {
    project = packAndInstall();
  });
  after(() => project?.close());

  /** Runs `npx aks-acr-guard ...` in the project: exit code and output. */
  const npx = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run("npx", ["--no-install", "aks-acr-guard", ...args], {
        cwd: project.dir,
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  /** Runs the project's program as a stack (its run-stack.mjs): preview or up, with the pack. */
  const stack = async (op: "preview" | "up"): Promise<StackRun> => {
    const { stdout } = await run(process.execPath, ["run-stack.mjs", op, settings], {
      cwd: project.dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split("\n").pop()!) as StackRun;
  };

  it("ships compiled JavaScript with types, the built pack and the scenarios; no sources, no tests", () => {
    const files = project.files;
    for (const f of [
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/policies/policies.js",
      "dist/policies/policies.d.ts",
      "dist/cli/run.js",
      "bin/aks-acr-guard.js",
      "policies/PulumiPolicy.yaml",
      "policies/package.json",
      "policies/dist/index.js",
      "scenarios/broken-hub-spoke/world.json",
    ])
      assert.ok(files.includes(f), `the package holds ${f}`);
    const stray = files.filter(
      (f) =>
        f.startsWith("test/") || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.includes("node_modules"),
    );
    assert.deepEqual(stray, []);
  });

  it("needs no TypeScript compiler or loader at run time, and shares the project's one Pulumi SDK", () => {
    for (const m of ["tsx", "typescript", "ts-node", "esbuild"])
      assert.ok(!fs.existsSync(path.join(project.dir, "node_modules", m)), `${m} is not installed`);
    assert.ok(
      !fs.existsSync(
        path.join(project.dir, "node_modules", "aks-acr-guard", "node_modules", "@pulumi", "pulumi"),
      ),
      "@pulumi/pulumi is a peer dependency: one copy, the project's",
    );
  });

  it("exports the components at its root and the policy list as aks-acr-guard/policies", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "-e",
        `const c = require("aks-acr-guard"); const { policies } = require("aks-acr-guard/policies");
         console.log(JSON.stringify({ components: Object.keys(c).sort(), policies: policies.map((p) => p.name) }));`,
      ],
      { cwd: project.dir },
    );
    const got = JSON.parse(stdout) as { components: string[]; policies: string[] };
    assert.deepEqual(got.components, [
      "AcrImagePullSecret",
      "AcrPullAccess",
      "AksAcrIntegration",
      "AksAcrObserver",
      "HubFirewallRegistryRule",
      "PrivateRegistryDns",
      "RegistryEgressAccess",
      "VnetPeeringPair",
    ]);
    assert.deepEqual([...got.policies].sort(), POLICY_NAMES);
  });

  it("types the README's program against the installed declarations (strict TypeScript, as a user compiles it)", async () => {
    // The program is the README's TypeScript; compiled here with this repository's tsc, resolving
    // every import (aks-acr-guard's .d.ts, the peers') from the user's node_modules alone.
    fs.copyFileSync(path.join(project.dir, "index.mjs"), path.join(project.dir, "index.ts"));
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
      await run(
        process.execPath,
        [
          tsc,
          "--noEmit",
          "--strict",
          "--target",
          "es2022",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--skipLibCheck",
          "index.ts",
        ],
        { cwd: project.dir },
      );
    } catch (e) {
      assert.fail(`tsc: ${(e as { stdout: string }).stdout}`);
    } finally {
      fs.rmSync(path.join(project.dir, "index.ts"));
    }
  });

  it("answers --version and --help", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal((await npx("--version")).stdout.trim(), pkg.version);
    for (const flag of ["--help", "-h"]) {
      const r = await npx(flag);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /usage: aks-acr-guard <diagnose\|preview>/);
    }
  });

  it("diagnoses and previews a bundled recording (Diagnose a recording)", async () => {
    const diagnosed = await npx("diagnose", DEMO, "--format", "json");
    assert.equal(diagnosed.code, 1, diagnosed.stderr);
    const report = JSON.parse(diagnosed.stdout) as { summary: { mandatory: number } };
    assert.equal(report.summary.mandatory, 3);
    const previewed = await npx("preview", DEMO, "--after-plan");
    assert.equal(previewed.code, 0, previewed.stderr);
    assert.match(previewed.stdout, /Findings with the plan applied:\n {2}none/);
  });

  it("starts the pack from node_modules/aks-acr-guard/policies with the project's runner", async () => {
    const runner = path.join(project.dir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    const pack = await PolicyPackClient.start(
      path.join(project.dir, "node_modules", "aks-acr-guard", "policies"),
      {},
      runner,
    );
    try {
      const info = await pack.info();
      assert.equal(info.name, "aks-acr-guard");
      assert.deepEqual(info.policies.map((p) => p.name).sort(), POLICY_NAMES);
    } finally {
      await pack.stop();
    }
  });

  describe("its program, declaring the components, under the real engine (Use it in your program)", () => {
    const ctx = useEngineContext();
    before(async () => {
      const world = loadWorld(path.join(REPO_ROOT, "scenarios", "broken-hub-spoke", "world.json"));
      // The user's cluster and registry exist; the stack owns none of them.
      ctx.azure.seed(world.resources);
      const sub = world.config.clusterId?.split("/")[2] ?? SUBSCRIPTION;
      const clusterId = world.resources.find((r) => /managedclusters$/i.test(r.type))!.id;
      const registryId = world.resources.find((r) => /registries$/i.test(r.type))!.id;
      const policyConfig = path.join(ctx.dir, "policy-config.json");
      // Enforce it across an organisation: the same config file a policy group is given.
      fs.writeFileSync(
        policyConfig,
        JSON.stringify({ "k8s-image-tag-pinned": { enforcementLevel: "mandatory" } }),
      );
      settings = path.join(ctx.dir, "settings.json");
      const config: Record<string, string> = {
        "user-project:clusterId": clusterId,
        "user-project:registryId": registryId,
        "user-project:ciPrincipalId": CI_PRINCIPAL,
      };
      for (const [k, v] of Object.entries(azureConfig(ctx, sub))) config[k] = v;
      fs.writeFileSync(
        settings,
        JSON.stringify({
          env: ctx.env,
          backend: `file://${path.join(ctx.dir, "backend")}`,
          policyConfig,
          config,
        }),
      );
    });

    it("pulumi preview --policy-pack node_modules/aks-acr-guard/policies plans the fixes and blocks on nothing", async () => {
      const r = await stack("preview");
      assert.ok(r.ok, r.error);
      assert.deepEqual(
        r.findings.filter((f) => f.level === "mandatory"),
        [],
      );
      // The engine ran the installed pack's stack policies over the plan, and they passed.
      const ran = r.stackPolicies.filter((p) => p.pack === "aks-acr-guard");
      assert.equal(ran.length, 1, JSON.stringify(r.stackPolicies));
      for (const p of ["aks-acr-pull-role", "acr-private-dns-link", "aks-acr-vnet-peering"])
        assert.ok(ran[0].passed.includes(p), `${p} ran and passed: ${JSON.stringify(ran[0])}`);
    });

    it("pulumi up declares them, and the CI identity's pull role", async () => {
      const r = await stack("up");
      assert.ok(r.ok, r.error);
      assert.deepEqual((r.outputs.declared as string[]).map((d) => d.split(" ")[0]).sort(), [
        "AcrPullAccess",
        "PrivateRegistryDns",
        "VnetPeeringPair",
      ]);
      const assignments = [...ctx.azure.resources.values()]
        .filter((x) => /roleassignments$/i.test(x.type))
        .map((x) => (x.properties as { principalId?: string }).principalId);
      assert.ok(assignments.includes(CI_PRINCIPAL), "the CI identity holds a role assignment");
      assert.deepEqual(ctx.azure.refused, []);
    });

    it("a second pulumi up changes nothing", async () => {
      const r = await stack("up");
      assert.ok(r.ok, r.error);
      assert.deepEqual(Object.keys(r.changes), ["same"], JSON.stringify(r.changes));
    });
  });
});
