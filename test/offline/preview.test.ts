import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { offlinePreview } from "../../offline/preview";
import { loadWorld, stackOf, WorldError } from "../../offline/world";
import { REPO_ROOT, urnOf, usePolicyPack } from "../harness";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");

interface Expected {
  before: { policy: string; level: string; resource: string; contains: string[] }[];
  after: { policy: string; level: string; resource: string }[];
}

describe("the offline preview", () => {
  const { pack } = usePolicyPack();

  for (const name of fs
    .readdirSync(SCENARIOS)
    .filter((n) => fs.existsSync(path.join(SCENARIOS, n, "expected.json")))) {
    it(`finds what scenario '${name}' expects, and nothing mandatory after its plan`, async () => {
      const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
      const expected = JSON.parse(
        fs.readFileSync(path.join(SCENARIOS, name, "expected.json"), "utf8"),
      ) as Expected;
      const report = await offlinePreview(world, pack());
      const shape = (ds: typeof report.before) =>
        ds.map((d) => ({
          policy: d.policyName,
          level: d.enforcementLevel,
          resource: d.urn.split("::").pop(),
        }));
      assert.deepEqual(
        shape(report.before),
        expected.before.map(({ policy, level, resource }) => ({ policy, level, resource })),
      );
      expected.before.forEach((e, i) =>
        e.contains.forEach((c) => assert.ok(report.before[i].message.includes(c), c)),
      );
      assert.deepEqual(shape(report.after), expected.after);
      assert.ok(
        report.plan.some((p) => p.custom),
        "the plan declares a fix",
      );
    });
  }
});

describe("reading a recorded environment", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-"));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const arm = {
    id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
    name: "acr1",
    type: "Microsoft.ContainerRegistry/registries",
    properties: { loginServer: "acr1.azurecr.io" },
  };

  it("flattens ARM properties the way azure-native returns outputs, and counts types it does not read", () => {
    const f = write(
      "ok.json",
      JSON.stringify({ resources: [arm, { ...arm, id: arm.id + "x", type: "microsoft.web/sites" }] }),
    );
    const { resources, ignored } = stackOf(loadWorld(f));
    assert.equal(resources.length, 1);
    assert.equal(resources[0].type, "azure-native:containerregistry:Registry");
    assert.equal(resources[0].props.loginServer, "acr1.azurecr.io");
    assert.equal(urnOf(resources[0]).endsWith("::acr1"), true);
    assert.deepEqual(ignored, { "microsoft.web/sites": 1 });
  });

  it("accepts the raw output of az graph query -o json", () => {
    assert.equal(
      loadWorld(
        write("graph.json", JSON.stringify({ count: 1, data: [arm], skip_token: null, total_records: 1 })),
      ).resources.length,
      1,
    );
    assert.equal(loadWorld(write("array.json", JSON.stringify([arm]))).resources.length, 1);
  });

  for (const [what, text, message] of [
    ["a file that does not exist", undefined, /missing\.json: \$: cannot be read \(ENOENT\)/],
    ["malformed JSON", "{ resources: [", /bad\.json: \$: is not JSON/],
    [
      "no resources array",
      JSON.stringify({ things: [] }),
      /\$\.resources: expected an array of ARM resources/,
    ],
    [
      "a resource without a type",
      JSON.stringify({ resources: [{ id: arm.id, name: "acr1" }] }),
      /\$\.resources\[0\]\.type: expected a non-empty string/,
    ],
    [
      "an id that does not parse",
      JSON.stringify({ resources: [{ ...arm, id: "acr1" }] }),
      /\$\.resources\[0\]\.id: "acr1" is not an ARM id; expected \/subscriptions\//,
    ],
    [
      "a config value that is not a string",
      JSON.stringify({ resources: [], config: { registryId: 3 } }),
      /\$\.config\.registryId: expected a string, got 3/,
    ],
  ] as const) {
    it(`fails on ${what}, naming the file, the JSON path and what was expected`, () => {
      const f = text === undefined ? path.join(dir, "missing.json") : write("bad.json", text);
      assert.throws(
        () => loadWorld(f),
        (e: Error) => e instanceof WorldError && (message as RegExp).test(e.message),
      );
    });
  }
});

describe("npm run demo", () => {
  const run = promisify(execFile);
  const demo = (args: string[]) =>
    run(process.execPath, [require.resolve("tsx/cli"), path.join(REPO_ROOT, "scripts", "demo.ts"), ...args], {
      cwd: REPO_ROOT,
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("shows the finding, the plan that fixes it, and a clean after-state, and exits 0", async function () {
    this.timeout(60_000);
    const { code, stdout } = await demo([]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /✖ mandatory aks-acr-pull-role on ManagedCluster 'aks-prod'/);
    assert.match(
      stdout,
      /\+ aks-acr-guard:index:AcrPullAccess {2}aks-prod\n {4}\+ azure-native:authorization:RoleAssignment {2}aks-prod-acrpull/,
    );
    assert.match(stdout, /Findings with the plan applied:\n {2}none/);
  });

  it("exits 2 with one line naming the file on bad input", async function () {
    this.timeout(60_000);
    const { code, stdout, stderr } = await demo(["no-such-world.json"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /no-such-world\.json: \$: cannot be read/);
  });
});
