/**
 * The package test of one matrix cell (test/matrix/run.ts starts it with the cell's Node): a
 * project made as `pulumi new typescript` makes one, on the cell's `@pulumi/pulumi`, installs the
 * packed tarball and the providers with plain `npm install`, type-checks the README's program with
 * its own TypeScript and tsconfig, imports the components, and runs the installed pack (started by
 * the project's own `@pulumi/pulumi`) over every bundled scenario.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as semver from "semver";
import { policies } from "../../policies/policies";
import { cellFromEnv, pulumiNewTypescript, readmeProgram, TEMPLATE_SDK_RANGE } from "./cells";

/** The pack's policies in this tree: the installed package must ship as many. */
const POLICY_COUNT = policies.length;

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");

interface Expected {
  before: { policy: string; level: string; resource: string; contains: string[] }[];
}

describe(`the packed package in a new TypeScript project (${cellFromEnv().label})`, function () {
  this.timeout(600_000);
  const cell = cellFromEnv();
  let dir: string;
  let installed: { stdout: string; stderr: string };

  /** npm as the cell runs it: the machine's npm CLI on the cell's Node, so `engines` are judged by that Node. */
  const npm = (args: string[]) =>
    run(process.execPath, [cell.npmCli, ...args, "--no-audit", "--no-fund"], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
  const installedVersion = (name: string) =>
    (
      JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;

  /**
   * Runs `body` (the body of an async function whose result is printed as JSON) in a Node process
   * in `cwd`, with the installed package's offline client in scope.
   */
  const installedOffline = async (cwd: string, body: string): Promise<unknown> => {
    const dist = (m: string) =>
      JSON.stringify(path.join(dir, "node_modules", "aks-acr-guard", "dist", "offline", `${m}.js`));
    const script = `const path = require("path"), fs = require("fs");
      const { PolicyPackClient } = require(${dist("analyzer")});
      const { diagnoseWorld } = require(${dist("preview")});
      const { loadWorld } = require(${dist("world")});
      (async () => { ${body} })().then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ["-e", script], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-matrix-"));
    // The newest cell keeps the template's range, as a project made today has it; the lowest pins.
    const sdk = cell.sdk === "newest" ? TEMPLATE_SDK_RANGE : cell.sdkVersion;
    for (const [file, text] of Object.entries(pulumiNewTypescript("matrix-project", sdk)))
      fs.writeFileSync(path.join(dir, file), text);
    // What `pulumi new typescript` runs, then what the README's install line adds.
    await npm(["install"]);
    installed = await npm(["install", cell.tarball, ...cell.peers.map(([n, v]) => `${n}@${v}`)]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("installs with plain npm install: one @pulumi/pulumi, the project's, at the cell's version", () => {
    assert.doesNotMatch(installed.stderr, /ERESOLVE|EBADENGINE|peer dep/i, installed.stderr);
    assert.equal(installedVersion("@pulumi/pulumi"), cell.sdkVersion);
    assert.ok(
      !fs.existsSync(path.join(dir, "node_modules", "aks-acr-guard", "node_modules", "@pulumi", "pulumi")),
    );
    assert.ok(
      !fs.existsSync(
        path.join(dir, "node_modules", "@pulumi", "policy", "node_modules", "@pulumi", "pulumi"),
      ),
    );
    for (const [name, version] of cell.peers)
      if (version !== "latest") assert.equal(installedVersion(name), version);
  });

  it("type-checks the README's program with the project's own TypeScript and tsconfig (strict, nodenext)", async () => {
    fs.writeFileSync(path.join(dir, "index.ts"), readmeProgram());
    try {
      await run(
        process.execPath,
        [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "."],
        {
          cwd: dir,
        },
      );
    } catch (e) {
      assert.fail(`tsc: ${(e as { stdout: string }).stdout}`);
    }
  });

  it("imports the components at the root and the policy list as aks-acr-guard/policies", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "-e",
        `const c = require("aks-acr-guard"); const { policies } = require("aks-acr-guard/policies");
         console.log(JSON.stringify({ components: Object.keys(c).length, policies: policies.length }));`,
      ],
      { cwd: dir },
    );
    assert.deepEqual(JSON.parse(stdout), { components: 8, policies: POLICY_COUNT });
  });

  it("runs the installed pack, started by the project's @pulumi/pulumi, over every bundled scenario as expected.json says", async () => {
    // The installed package's own offline client: it starts node_modules/aks-acr-guard/policies with
    // the run-policy-pack of the @pulumi/pulumi it resolves, the project's.
    const root = path.join(dir, "node_modules", "aks-acr-guard");
    const got = (await installedOffline(
      dir,
      `const pack = await PolicyPackClient.start();
       const out = {};
       const scenarios = path.join(${JSON.stringify(root)}, "scenarios");
       for (const name of fs.readdirSync(scenarios).sort()) {
         if (!fs.existsSync(path.join(scenarios, name, "expected.json"))) continue;
         const { before } = await diagnoseWorld(loadWorld(path.join(scenarios, name, "world.json")), pack);
         out[name] = before.map((d) => ({ policy: d.policyName, level: d.enforcementLevel, resource: d.urn.split("::").pop(), message: d.message }));
       }
       await pack.stop();
       return out;`,
    )) as Record<string, { policy: string; level: string; resource: string; message: string }[]>;
    const scenarios = fs
      .readdirSync(path.join(REPO, "scenarios"))
      .filter((n) => fs.existsSync(path.join(REPO, "scenarios", n, "expected.json")));
    assert.deepEqual(Object.keys(got).sort(), scenarios.sort());
    const key = (f: { policy: string; level: string; resource: string }) =>
      `${f.policy} ${f.level} ${f.resource}`;
    for (const name of scenarios) {
      const expected = JSON.parse(
        fs.readFileSync(path.join(REPO, "scenarios", name, "expected.json"), "utf8"),
      ) as Expected;
      assert.deepEqual(got[name].map(key).sort(), expected.before.map(key).sort(), name);
      for (const e of expected.before) {
        const f = got[name].find((x) => key(x) === key(e))!;
        for (const c of e.contains) assert.ok(f.message.includes(c), `${name}: ${key(e)} says "${c}"`);
      }
    }
  });

  it("installs the published pack alone, as Pulumi Cloud hands it to a CLI, and runs it with its own SDK", async () => {
    // `pulumi policy publish` uploads the pack's folder (its package.json "files"); a CLI enforcing it
    // extracts that and installs its dependencies with `npm install` (the Node language plugin's
    // InstallDependencies), on the user's Node.
    const published = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-published-"));
    try {
      const source = path.join(dir, "node_modules", "aks-acr-guard", "policies");
      const manifest = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8")) as {
        files: string[];
        dependencies: Record<string, string>;
      };
      for (const f of manifest.files)
        fs.cpSync(path.join(source, f), path.join(published, f), { recursive: true });
      const install = await run(process.execPath, [cell.npmCli, "install", "--no-audit", "--no-fund"], {
        cwd: published,
        maxBuffer: 64 * 1024 * 1024,
      });
      const sdk = JSON.parse(
        fs.readFileSync(path.join(published, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
      ) as { version: string; engines?: { node?: string } };
      // npm takes the newest release in the range whose engines admit the Node it runs on: on Node 20
      // the 3.248 line, on 22 and 24 the newest.
      assert.doesNotMatch(install.stderr, /ERESOLVE|EBADENGINE/, install.stderr);
      assert.equal(sdk.version, cell.newestSdk);
      assert.ok(semver.satisfies(process.version, sdk.engines?.node ?? "*"), JSON.stringify(sdk.engines));
      const demo = path.join(
        dir,
        "node_modules",
        "aks-acr-guard",
        "scenarios",
        "broken-hub-spoke",
        "world.json",
      );
      const started = await installedOffline(
        published,
        `const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [${JSON.stringify(published)}] });
         const pack = await PolicyPackClient.start(${JSON.stringify(published)}, {}, runner);
         const info = await pack.info();
         const { before } = await diagnoseWorld(loadWorld(${JSON.stringify(demo)}), pack);
         await pack.stop();
         return { name: info.name, policies: info.policies.length, mandatory: before.filter((d) => d.enforcementLevel === "mandatory").length };`,
      );
      // The demo's mandatory findings, as its expected.json states them (one per root cause).
      const expected = JSON.parse(
        fs.readFileSync(path.join(path.dirname(demo), "expected.json"), "utf8"),
      ) as {
        before: { level: string }[];
      };
      const mandatory = expected.before.filter((f) => f.level === "mandatory").length;
      assert.equal(mandatory, 3);
      assert.deepEqual(started, { name: "aks-acr-guard", policies: POLICY_COUNT, mandatory });
      assert.ok(semver.satisfies(sdk.version, manifest.dependencies["@pulumi/pulumi"]), sdk.version);
    } finally {
      fs.rmSync(published, { recursive: true, force: true });
    }
  });

  it("previews the demo with the installed command: the plan fixes every finding", async () => {
    const demo = path.join("node_modules", "aks-acr-guard", "scenarios", "broken-hub-spoke", "world.json");
    const { stdout } = await run(
      process.execPath,
      [
        path.join("node_modules", "aks-acr-guard", "bin", "aks-acr-guard.js"),
        "preview",
        demo,
        "--after-plan",
      ],
      {
        cwd: dir,
      },
    );
    assert.match(stdout, /Findings with the plan applied:\n {2}none/);
  });
});
