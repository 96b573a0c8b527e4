import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { configureFor, offlinePreview, programTargets } from "../../offline/preview";
import { loadWorld, stackOf, WorldError } from "../../offline/world";
import { previewReportOf, renderMarkdown, renderText, Report, reportPaths } from "../../offline/report";
import { GUIDES } from "../../policies/policies";
import { printsNow, traceWorld } from "../../offline/trace";
import { aksAcrGuard, alive, REPO_ROOT, ScenarioExpected, urnOf, usePolicyPack } from "../harness";
import { commandLine, PolicyCommand } from "../../core/plan/integration";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");

/** The policy each component of the plan fixes (the README's component table). */
const FIXES: Record<string, string> = {
  AcrPullAccess: "aks-acr-pull-role",
  PrivateRegistryDns: "acr-private-dns-link",
  VnetPeeringPair: "aks-acr-vnet-peering",
  RegistryEgressAccess: "acr-firewall-aks-egress",
  HubFirewallRegistryRule: "aks-acr-hub-firewall",
};

describe("the offline preview", () => {
  const { pack } = usePolicyPack();

  for (const name of fs
    .readdirSync(SCENARIOS)
    .filter((n) => fs.existsSync(path.join(SCENARIOS, n, "expected.json")))) {
    it(`finds, before and after its plan, what scenario '${name}' expects`, async () => {
      const world = loadWorld(path.join(SCENARIOS, name, "world.json"));
      const expected = JSON.parse(
        fs.readFileSync(path.join(SCENARIOS, name, "expected.json"), "utf8"),
      ) as ScenarioExpected;
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
      const fixes = report.plan
        .filter(
          (p) =>
            !p.custom &&
            p.type !== "aks-acr-guard:index:AksAcrIntegration" &&
            p.type !== "aks-acr-guard:index:AksAcrObserver",
        )
        .map((p) => p.type.split(":").pop());
      // The plan and the pack read one model: nothing planned that nothing reported, and every
      // mandatory finding either fixed by the plan or left, explained (below).
      const reported = new Set(
        report.before.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.policyName),
      );
      for (const fix of fixes)
        assert.ok(
          reported.has(FIXES[fix!]),
          `${name}: ${fix} is planned, but nothing reports ${FIXES[fix!]}`,
        );
      if (expected.declares) assert.deepEqual(fixes, expected.declares);
      else
        assert.ok(
          report.plan.some((p) => p.custom),
          "the plan declares a fix",
        );
      // Every finding the plan leaves is explained, in every format; "no fix is missing" only when
      // nothing mandatory remains.
      const r = previewReportOf(name, report);
      assert.equal(r.left.length, r.after.length);
      r.left.forEach((l, i) => {
        assert.equal(l.policy, r.after[i].policy);
        assert.ok(
          l.why && l.config && l.fix.length > 0 && l.fix.every((f) => f.length > 0),
          JSON.stringify(l),
        );
      });
      const text = renderText(r);
      const markdown = renderMarkdown(r);
      assert.equal(
        text.includes("no fix is missing"),
        r.summary.mandatoryAfter === 0 && !r.plan.some((p) => p.inputs),
      );
      assert.equal(text.includes("Left after the plan"), r.after.length > 0);
      assert.equal(markdown.includes("### Left after the plan"), r.after.length > 0);
      for (const l of r.left) {
        assert.ok(text.includes(`why: ${l.why}`), `${name}: the text explains ${l.policy}`);
        assert.ok(markdown.includes(`**${l.policy}**`), `${name}: the markdown explains ${l.policy}`);
      }
      const commands = ((report.outputs.commands as PolicyCommand[] | undefined) ?? []).map(commandLine);
      for (const c of expected.commands ?? []) {
        assert.ok(
          commands.some((line) => line.includes(c)),
          `a command contains ${c}: ${commands.join("; ")}`,
        );
      }
    });
  }
});

describe("reading a recorded environment", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
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
    // The registry, and the environment's observer, as a stack that owns the environment declares one
    assert.deepEqual(
      resources.map((r) => r.type),
      ["azure-native:containerregistry:Registry", "aks-acr-guard:index:AksAcrObserver"],
    );
    assert.deepEqual(resources[1].props, { observed: [] });
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

  it("accepts kubectl get -o json output, alone or with az graph output, as one world", () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "apps" }, spec: {} },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "debug" }, spec: {} },
      ],
    };
    const world = loadWorld(
      write("graph2.json", JSON.stringify({ data: [arm] })),
      write("kubectl.json", JSON.stringify(list)),
    );
    assert.equal(world.resources.length, 1);
    assert.deepEqual(
      stackOf(world).resources.map((r) => [r.type, r.name]),
      [
        ["azure-native:containerregistry:Registry", "acr1"],
        ["kubernetes:apps/v1:Deployment", "apps/web"],
        ["kubernetes:core/v1:Pod", "debug"],
        ["aks-acr-guard:index:AksAcrObserver", "environment"],
      ],
    );
  });

  it("merges files by ARM id (case aside) and Kubernetes name: a record held twice is one", () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "debug", namespace: "apps" }, spec: {} };
    // GIVEN two captures of one registry, the second with its id upper-cased and its keys reordered
    const again = { properties: arm.properties, type: arm.type, name: arm.name, id: arm.id.toUpperCase() };
    const world = loadWorld(
      write("first.json", JSON.stringify({ resources: [arm], kubernetes: [pod] })),
      write("second.json", JSON.stringify({ resources: [again], kubernetes: [pod] })),
    );
    // THEN one registry and one pod, the first file's
    assert.deepEqual(world.resources, [arm]);
    assert.equal(world.kubernetes.length, 1);
  });

  it("fails on two records of one resource that differ, naming both places", () => {
    const changed = { ...arm, properties: { loginServer: "acr1-other.azurecr.io" } };
    const first = write("first.json", JSON.stringify({ resources: [arm] }));
    const second = write(
      "second.json",
      JSON.stringify({ resources: [{ ...arm, id: arm.id + "x" }, changed] }),
    );
    assert.throws(
      () => loadWorld(first, second),
      (e: Error) =>
        e instanceof WorldError &&
        /second\.json: \$\.resources\[1\]: records ARM resource \/subscriptions\/s\/resourcegroups\/rg\/providers\/microsoft\.containerregistry\/registries\/acr1 again, differently from .*first\.json \$\.resources\[0\]/.test(
          e.message,
        ),
    );
  });

  for (const [what, text, message] of [
    [
      "a Kubernetes object without a name",
      JSON.stringify({ resources: [], kubernetes: [{ apiVersion: "v1", kind: "Pod", metadata: {} }] }),
      /\$\.kubernetes\[0\]\.metadata\.name: expected a non-empty string/,
    ],
    [
      "a kubectl list item without a kind",
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [{ apiVersion: "v1", metadata: { name: "x" } }],
      }),
      /\$\.items\[0\]\.kind: expected a non-empty string/,
    ],
    [
      "policyConfig that is not an object",
      JSON.stringify({ resources: [], policyConfig: [] }),
      /\$\.policyConfig: expected an object/,
    ],
    [
      "a policy's config that is not an object",
      JSON.stringify({ resources: [], policyConfig: { "aks-acr-pull-role": 3 } }),
      /\$\.policyConfig\.aks-acr-pull-role: expected an object of config values/,
    ],
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

describe("policy config in a world", () => {
  const { pack } = usePolicyPack();
  const base = loadWorld(path.join(SCENARIOS, "healthy-public", "world.json"));
  // The bad policy config tried: each refused with the file, the JSON path and what was expected.
  const BAD_POLICY_CONFIG: [string, Record<string, Record<string, unknown>>, RegExp][] = [
    [
      "a string for an integer",
      { "aks-sp-secret-expiring": { warnWithinDays: "30" } },
      /aks-sp-secret-expiring\.warnWithinDays: "30" is not of type integer/,
    ],
    [
      "an integer out of range",
      { "aks-sp-secret-expiring": { warnWithinDays: -1 } },
      /warnWithinDays: -1 is not >= /,
    ],
    [
      "a prefix length over 32",
      { "acr-public-network-open": { minPrefixLength: 33 } },
      /minPrefixLength: 33 is not <= 32/,
    ],
    [
      "a string for a list",
      { "k8s-acr-registry-known": { allowedLoginServers: "contosoacr.azurecr.io" } },
      /allowedLoginServers: "contosoacr.azurecr.io" is not of type array/,
    ],
    [
      "a key the policy does not have",
      { "aks-acr-pull-role": { pullRole: "AcrPull" } },
      /aks-acr-pull-role: config 'pullRole' is not a property of the policy/,
    ],
    [
      "a policy the pack does not have",
      { "acr-pull-role": {} },
      /config names policies the pack does not have: acr-pull-role; expected one of aks-acr-pull-role/,
    ],
    [
      "an unknown enforcement level",
      { "aks-acr-pull-role": { enforcementLevel: "blocking" } },
      /aks-acr-pull-role\.enforcementLevel: "blocking" is not one of advisory, mandatory/,
    ],
  ];
  for (const [what, policyConfig, expected] of BAD_POLICY_CONFIG) {
    it(`refuses ${what}, naming the file, $.policyConfig and the expected form`, async () => {
      await assert.rejects(configureFor({ ...base, policyConfig }, pack()), (e: Error) => {
        assert.ok(e instanceof WorldError, e.message);
        assert.match(e.message, /healthy-public\/world\.json: \$\.policyConfig: /);
        assert.match(e.message, expected);
        return true;
      });
    });
  }
});

describe("which cluster and registry the program points at", () => {
  const world = loadWorld(path.join(SCENARIOS, "broken-hub-spoke", "world.json"));
  const cluster = world.resources.find((r) => r.type.endsWith("managedclusters"))!;

  it("takes the only cluster and registry of a recording whose config names none (raw az graph output)", () => {
    assert.deepEqual(programTargets({ ...world, config: {} }), {
      clusterId: world.config.clusterId,
      registryId: world.config.registryId,
    });
  });

  it("refuses a cluster the recording does not hold, and a choice it cannot make, naming the JSON path", () => {
    assert.throws(
      () => programTargets({ ...world, resources: world.resources.filter((r) => r !== cluster) }),
      /\$\.config\.clusterId: names .*aks-prod, which the recording does not hold; expected one of: \(no managed cluster recorded\)/,
    );
    const twin = { ...cluster, id: cluster.id.replace("aks-prod", "aks-dev"), name: "aks-dev" };
    assert.throws(
      () => programTargets({ ...world, config: {}, resources: [...world.resources, twin] }),
      /\$\.config\.clusterId: is not set and the recording holds 2 managed clusters; expected one of: .*aks-prod, .*aks-dev\. preview plans the fix of one cluster and registry: name them in the recording's config/,
    );
    // A fleet: the first five ids and a count, not thousands of ids
    const fleet = Array.from({ length: 40 }, (_, i) => ({
      ...cluster,
      id: cluster.id.replace("aks-prod", `aks-${i}`),
    }));
    assert.throws(
      () => programTargets({ ...world, config: {}, resources: [...world.resources, ...fleet] }),
      (e: Error) => /aks-2, .*aks-3 and 36 more\. /.test(e.message) && e.message.length < 1200,
    );
  });
});

describe("the aks-acr-guard command", () => {
  const exec = promisify(execFile);
  const cli = aksAcrGuard;
  const DEMO = path.join("scenarios", "broken-hub-spoke", "world.json");

  it("npm run demo: findings, the plan that fixes them, a clean after-state, exit 0; progress on stderr only", async function () {
    this.timeout(60_000);
    const { code, stdout, stderr } = await cli(["preview", DEMO, "--after-plan"]);
    assert.equal(code, 0, stdout + stderr);
    assert.match(stdout, /✖ mandatory aks-acr-pull-role on ManagedCluster 'aks-prod'/);
    assert.match(stdout, /401 Unauthorized: no pull role for the kubelet identity/);
    assert.match(
      stdout,
      /\+ aks-acr-guard:index:AcrPullAccess {2}aks-prod-pull\n {6}\+ azure-native:authorization:RoleAssignment {2}aks-prod-pull-acrpull/,
    );
    assert.match(
      stdout,
      /\+ azure-native:network:VirtualNetworkPeering {2}aks-prod-peering-vnet-aks-vnet-hub-a-to-b/,
    );
    assert.match(stdout, /Findings with the plan applied:\n {2}none/);
    assert.doesNotMatch(stdout, /starting the policy pack/);
    assert.match(stderr, /starting the policy pack/);
  });

  it("reads the same file given twice as one environment: the same findings, no second cluster", async function () {
    this.timeout(60_000);
    const once = await cli(["diagnose", DEMO, "--format", "json"]);
    const twice = await cli(["diagnose", DEMO, DEMO, "--format", "json"]);
    const findings = (r: { stdout: string }) =>
      (JSON.parse(r.stdout) as { findings: { policy: string; resource: string; message: string }[] })
        .findings;
    assert.equal(findings(once).length, 3);
    assert.deepEqual(findings(twice), findings(once));
    assert.doesNotMatch(twice.stdout, /aks-prod-2/);
  });

  it("ends the policy pack it started when it is killed (a CI step's timeout), however it is killed", async function () {
    this.timeout(60_000);
    // GIVEN the command diagnosing the demo, its pack started
    const command = spawn(
      process.execPath,
      [path.join(REPO_ROOT, "bin", "aks-acr-guard.js"), "diagnose", DEMO],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let progress = "";
    await new Promise<void>((resolve) =>
      command.stderr!.on("data", (d) => {
        progress += d;
        if (progress.includes("analyzing")) resolve();
      }),
    );
    const children = () =>
      fs
        .readdirSync(`/proc/${command.pid}/task`)
        .flatMap((t) => fs.readFileSync(`/proc/${command.pid}/task/${t}/children`, "utf8").split(" "))
        .filter(Boolean)
        .map(Number);
    const [pack] = children();
    assert.ok(pack, "the command runs the pack as its child");
    // WHEN it is killed outright, with no chance to stop the pack
    command.kill("SIGKILL");
    // THEN the pack ends within seconds instead of running on
    for (let i = 0; i < 40 && alive(pack); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pack), false, `the pack (pid ${pack}) still runs after its command was killed`);
  });

  it("refuses to preview a fleet recording that names no cluster, before analyzing it (exit 2)", async function () {
    this.timeout(60_000);
    const world = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, DEMO), "utf8")) as {
      resources: { id: string; name: string; type: string }[];
    };
    const cluster = world.resources.find((r) => r.type.toLowerCase().endsWith("managedclusters"))!;
    const twin = { ...cluster, id: cluster.id.replace("aks-prod", "aks-dev"), name: "aks-dev" };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-fleet-"));
    try {
      const file = path.join(dir, "fleet.json");
      fs.writeFileSync(file, JSON.stringify({ resources: [...world.resources, twin] }));
      const r = await cli(["preview", file]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, /preview plans the fix of one cluster and registry/);
      assert.doesNotMatch(r.stderr, /analyzing|pulumi config/);
      // diagnose judges the whole recording
      assert.notEqual((await cli(["diagnose", file])).code, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a recording with no cluster or no registry (exit 2), saying what to check", async function () {
    this.timeout(60_000);
    const world = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, DEMO), "utf8")) as {
      resources: { type: string }[];
    };
    const CLUSTERS = "microsoft.containerservice/managedclusters";
    const REGISTRIES = "microsoft.containerregistry/registries";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-empty-"));
    try {
      // A capture that read only one side's subscription, or neither (the wrong subscription).
      for (const [missing, says] of [
        [
          [REGISTRIES],
          /holds no container registry \(Microsoft.ContainerRegistry\/registries\).*az acr show/,
        ],
        [[CLUSTERS], /holds no managed cluster \(Microsoft.ContainerService\/managedClusters\).*az aks show/],
        [[CLUSTERS, REGISTRIES], /holds no managed cluster/],
      ] as const) {
        const file = path.join(dir, "world.json");
        const resources = world.resources.filter(
          (r) => !(missing as readonly string[]).includes(r.type.toLowerCase()),
        );
        fs.writeFileSync(file, JSON.stringify({ resources, kubernetes: [] }));
        const r = await cli(["diagnose", file]);
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stderr, /world\.json: \$\.resources: holds no .*nothing to judge/);
        assert.match(r.stderr, says);
        assert.equal(r.stdout, "");
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes the whole report into a pipe whose reader is slower than it (jq, tee, a CI log)", async function () {
    this.timeout(120_000);
    // GIVEN a recording whose report is far larger than a pipe's buffer: 600 workloads with a misspelt registry
    const world = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, "scenarios", "image-reference-typo", "world.json"), "utf8"),
    ) as { kubernetes: { kind: string; metadata: { name: string } }[] };
    const deployment = world.kubernetes.find((k) => k.kind === "Deployment")!;
    for (let i = 0; i < 600; i++)
      world.kubernetes.push({
        ...structuredClone(deployment),
        metadata: { ...deployment.metadata, name: `app-${i}` },
      });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-pipe-"));
    try {
      const file = path.join(dir, "world.json");
      fs.writeFileSync(file, JSON.stringify(world));
      // WHEN its JSON goes into a pipe that nobody reads for a second
      const { stdout } = await exec(
        "bash",
        [
          "-c",
          `"${process.execPath}" bin/aks-acr-guard.js diagnose "${file}" --format json 2>/dev/null | (sleep 1; cat)`,
        ],
        { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
      );
      // THEN all of it arrives: one JSON document with every finding
      assert.ok(stdout.length > 256 * 1024, `${stdout.length} bytes`);
      const report = JSON.parse(stdout) as { findings: { policy: string }[] };
      assert.equal(report.findings.filter((f) => f.policy === "k8s-acr-image-reference").length, 601);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints no secret of the environment on stdout or stderr, in any format", async function () {
    this.timeout(120_000);
    const world = path.join("scenarios", "pull-secret-admin-disabled", "world.json");
    const password = "not-a-real-password-0";
    for (const format of ["text", "json", "markdown"]) {
      const { stdout, stderr } = await cli(["preview", world, "--format", format]);
      for (const form of [
        password,
        password.slice(0, 10),
        Buffer.from(`contosoacr:${password}`).toString("base64").slice(0, 16),
      ]) {
        assert.ok(!(stdout + stderr).includes(form), `${format} output shows ${form}`);
      }
    }
  });

  it("answers --help, -h and --version with exit 0, before reading anything", async function () {
    this.timeout(60_000);
    for (const flag of ["--help", "-h"]) {
      const { code, stdout } = await cli([flag]);
      assert.equal(code, 0);
      assert.match(stdout, /usage: aks-acr-guard <diagnose\|preview>/);
      assert.match(stdout, /Exit status: 0 clean, 1 findings at or above --fail-on/);
      assert.match(stdout, /3 internal error/);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal((await cli(["--version"])).stdout.trim(), pkg.version);
    assert.equal((await cli(["diagnose", "no-such-world.json", "--help"])).code, 0);
  });

  it("exits as a gate needs: 0 clean, 1 at or above --fail-on, 2 bad input; preview judges before the plan unless --after-plan", async function () {
    this.timeout(120_000);
    const scenario = (n: string) => path.join("scenarios", n, "world.json");
    const code = async (...args: string[]) => (await cli(args)).code;
    // GIVEN the demo (mandatory findings the plan fixes), an advisory-only and a healthy recording
    for (const [args, expected] of [
      [["diagnose", DEMO], 1],
      [["diagnose", DEMO, "--fail-on", "none"], 0],
      [["diagnose", scenario("image-tag-latest")], 0],
      [["diagnose", scenario("image-tag-latest"), "--fail-on", "advisory"], 1],
      [["diagnose", scenario("healthy-hub-spoke"), "--fail-on", "advisory"], 0],
      [["preview", DEMO], 1],
      [["preview", DEMO, "--after-plan"], 0],
      [["preview", DEMO, "--fail-on=none"], 0],
      [["trace", DEMO], 1],
      [["trace", DEMO, "--fail-on", "none"], 0],
      [["trace", scenario("healthy-hub-spoke"), "--fail-on", "advisory"], 0],
      [["diagnose", DEMO, "--fail-on", "sometimes"], 2],
      [["diagnose", DEMO, "--output", "x.json"], 2],
      [["diagnose", DEMO, "--format", "json", "--format", "text"], 2],
      [["trace", DEMO, "--after-plan"], 2],
    ] as const)
      assert.equal(await code(...args), expected, args.join(" "));
  });

  it("exits 3 on an internal error (a policy pack that cannot start), not 1 as findings would", async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-broken-"));
    try {
      const preload = path.join(dir, "no-spawn.js");
      fs.writeFileSync(
        preload,
        'require("node:child_process").spawn = () => { throw new Error("spawn refused by the test"); };\n',
      );
      const r = await cli(["diagnose", DEMO], preload);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /internal error, please report it: Error: spawn refused by the test/);
      assert.equal(r.stdout, "");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes several formats in one run, each whole to its --output, one to stdout", async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-out-"));
    try {
      const json = path.join(dir, "report.json");
      const md = path.join(dir, "report.md");
      const r = await cli([
        "diagnose",
        DEMO,
        "--format",
        "json",
        "--output",
        json,
        "--format",
        "markdown",
        "--output",
        md,
        "--format",
        "text",
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^aks-acr-guard diagnose of /);
      assert.equal((JSON.parse(fs.readFileSync(json, "utf8")) as Report).summary.mandatory, 3);
      assert.match(fs.readFileSync(md, "utf8"), /^## aks-acr-guard diagnose: 3 mandatory/);
      const unwritable = await cli([
        "diagnose",
        DEMO,
        "--format",
        "json",
        "--output",
        path.join(dir, "no", "such", "dir.json"),
      ]);
      assert.equal(unwritable.code, 2);
      assert.match(unwritable.stderr, /--output .*dir\.json: cannot be written \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("diagnose exits 1 while something mandatory is found", async function () {
    this.timeout(60_000);
    const { code, stdout } = await cli(["diagnose", DEMO, "--format", "json"]);
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as Report;
    assert.equal(report.command, "diagnose");
    assert.deepEqual(report.plan, []);
    assert.ok(report.summary.mandatory >= 3);
  });

  for (const [what, args, expected] of [
    ["no command", [], /usage: aks-acr-guard <diagnose\|preview>/],
    ["an unknown command", ["check", DEMO], /unknown command 'check'/],
    [
      "a bad format",
      ["diagnose", DEMO, "--format", "yaml"],
      /--format is "yaml"; expected text, json, markdown/,
    ],
    [
      "an unreadable file",
      ["preview", "no-such-world.json"],
      /no-such-world\.json: \$: cannot be read \(ENOENT\)/,
    ],
  ] as const) {
    it(`exits 2 on ${what}, with no stack trace`, async function () {
      this.timeout(60_000);
      const { code, stdout, stderr } = await cli([...args]);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      assert.match(stderr, expected);
      assert.doesNotMatch(stderr, /\n\s+at /);
    });
  }
});

describe("the reports", () => {
  const { pack } = usePolicyPack();
  let report: Report;
  before(async function () {
    this.timeout(60_000);
    const world = loadWorld(path.join(SCENARIOS, "broken-hub-spoke", "world.json"));
    const r = await offlinePreview(world, pack());
    const traced = traceWorld(world);
    report = previewReportOf("broken-hub-spoke", r, printsNow(traced), [], [], reportPaths(traced));
  });

  it("markdown stays under 60,000 characters for a fleet, saying what it leaves out; a small report is whole", () => {
    // GIVEN the demo's report, and the same findings for 400 clusters
    const small = renderMarkdown(report);
    assert.ok(small.length < 20_000);
    assert.doesNotMatch(small, /not shown/);
    const many = (fs: Report["findings"]) =>
      Array.from({ length: 400 }, (_, i) =>
        fs.map((f) => ({ ...f, resource: f.resource.replace("aks-prod", `aks-${i}`) })),
      ).flat();
    const fleet = { ...report, findings: many(report.findings), after: many(report.findings) };
    // WHEN it is rendered THEN it fits a pull-request comment and says where the rest is
    const md = renderMarkdown(fleet);
    assert.ok(md.length <= 60_000, `${md.length} characters`);
    assert.match(
      md,
      /_\d+ more findings' details not shown: this comment stays under 60,000 characters; `--format json` and `--format sarif` hold them all\._/,
    );
    // AND whatever it shows, it shows whole: every details block is closed
    assert.equal((md.match(/<details>/g) ?? []).length, (md.match(/<\/details>/g) ?? []).length);
  });

  it("leads with a count and what the pods print now, by cluster: the first failing step, not the article's order", () => {
    const text = renderText(report);
    const lines = text.split("\n");
    assert.equal(
      lines[2],
      "3 mandatory and 0 advisory findings; pulls fail now on 1 cluster; 0 mandatory left after the plan",
    );
    const now = text.indexOf("What the pods print now");
    assert.ok(now > 0 && now < text.indexOf("Findings in the recorded environment:"), text);
    // 401 comes first in the article's order; the pods print the 403 (the spoke resolves the public name).
    assert.match(
      text.slice(now),
      /^What the pods print now.*\n {2}cluster 'aks-prod':\n {4}- from 'contosoacr': ErrImagePull \/ ImagePullBackOff: "failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden" \(acr-private-dns-link, resolve\)\n\n/,
    );
    assert.deepEqual(
      report.now.map((n) => [n.cluster, n.policy, n.step]),
      [["aks-prod", "acr-private-dns-link", "resolve"]],
    );
    assert.match(
      renderMarkdown(report),
      /What the pods print now[^\n]*\n- cluster 'aks-prod':\n {4}- from 'contosoacr': ErrImagePull \/ ImagePullBackOff: "failed to authorize: .*403 Forbidden"/,
    );
  });

  it("JSON follows the documented schema: findings with policy, level, cause, resource id and message; plan with operation, type, name", () => {
    const json = JSON.parse(JSON.stringify(report)) as Report;
    assert.equal(json.version, 1);
    for (const f of json.findings) {
      assert.deepEqual(Object.keys(f).sort(), [
        "cause",
        "detail",
        "fix",
        "level",
        "message",
        "policy",
        "resource",
        "resourceId",
        "symptom",
        "urn",
      ]);
    }
    const pull = json.findings.find((f) => f.policy === "aks-acr-pull-role")!;
    assert.match(pull.resourceId, /^\/subscriptions\/.*\/managedClusters\/aks-prod$/);
    assert.match(pull.cause, /^401 Unauthorized/);
    assert.ok(json.plan.every((p) => p.operation === "create" && p.type && p.name));
    assert.deepEqual(json.summary, { mandatory: 3, advisory: 0, mandatoryAfter: 0 });
    const schema = fs.readFileSync(path.join(REPO_ROOT, "docs", "report-schema.md"), "utf8");
    for (const key of [
      "version",
      "findings",
      "policy",
      "level",
      "cause",
      "resourceId",
      "message",
      "plan",
      "operation",
      "after",
      "commands",
      "left",
      "why",
      "config",
      "fix",
      "notes",
      "summary",
      "mandatoryAfter",
      // Every field the report and a finding have, whatever the list above forgets.
      ...Object.keys(json),
      ...Object.keys(json.findings[0]),
      ...Object.keys(json.findings[0].fix!),
    ]) {
      assert.match(schema, new RegExp(`\`${key}\``), `docs/report-schema.md documents ${key}`);
    }
  });

  it("every policy's file declares its guide: the article's cause, why the plan leaves it, and the config that would let it", async () => {
    const policies = (await pack().info()).policies.map((p) => p.name);
    assert.deepEqual(Object.keys(GUIDES).sort(), [...policies].sort());
    for (const [name, g] of Object.entries(GUIDES)) {
      assert.ok(g.cause && g.left.why && g.left.config, name);
    }
  });

  it("a guide's steps are the pull steps whose hops trace names the policy on, over every scenario", () => {
    const seen = new Map<string, Set<string>>();
    for (const name of fs.readdirSync(path.join(REPO_ROOT, "scenarios"))) {
      const file = path.join(REPO_ROOT, "scenarios", name, "world.json");
      if (!fs.existsSync(file)) continue;
      for (const p of traceWorld(loadWorld(file)).paths)
        for (const h of p.hops) {
          if (!h.policy) continue;
          if (!seen.has(h.policy)) seen.set(h.policy, new Set());
          seen.get(h.policy)!.add(h.step);
        }
    }
    const declared = Object.entries(GUIDES)
      .filter(([, g]) => g.steps)
      .map(([name, g]) => [name, [...g.steps!].sort()]);
    const walked = [...seen].map(([name, steps]) => [name, [...steps].sort()]);
    assert.deepEqual(new Map(declared as [string, string[]][]), new Map(walked as [string, string[]][]));
  });

  it("markdown draws each failing path as trace walks it, naming the real resources, the failing hops red", () => {
    const md = renderMarkdown(report);
    assert.match(md, /\*\*aks-prod → contosoacr\*\*\n\n```mermaid\nflowchart LR/);
    assert.match(md, /c0\["aks-prod<br\/>ManagedCluster"\]/);
    assert.match(md, /\["resolve: fail<br\/>privatelink\.azurecr\.io, contosoacr"\]/);
    assert.match(md, /\["route: fail<br\/>vnet-aks, vnet-hub"\]/);
    assert.match(md, /\["authorize: fail<br\/>aks-prod, contosoacr"\]/);
    assert.match(md, /r0\["contosoacr<br\/>Registry"\]/);
    assert.equal((md.match(/^ {2}class h0_\d+ fail$/gm) ?? []).length, 3);
    // Only what exists: a healthy recording draws no diagram at all
    assert.doesNotMatch(renderMarkdown({ ...report, paths: [] }), /```mermaid/);
    assert.match(md, /\| mandatory \| `aks-acr-pull-role` \| ManagedCluster 'aks-prod' \|/);
  });

  it("markdown keeps every value from a recording or a stack inert", () => {
    // GIVEN a finding whose image and resource carry markdown, HTML and a fence of their own
    const hostile = "x```\n## Approved <img src=x onerror=alert(1)> | [click](https://evil) *bold*";
    const md = renderMarkdown({
      ...report,
      findings: [
        {
          ...report.findings[0],
          resource: `Deployment 'apps/${hostile}'`,
          message: `Image "${hostile}" is wrong`,
        },
      ],
      plan: [{ ...report.plan[0], name: hostile, inputs: {} }] as Report["plan"],
    });
    // THEN outside code blocks (where text is text) nothing renders as HTML, a heading or a link
    const outside = md.replace(/^(`{3,})[a-z]*\n[\s\S]*?^\1$/gm, "");
    assert.ok(!outside.includes("<img"), "no live HTML");
    assert.ok(!/^## Approved/m.test(outside), "no heading injected");
    assert.ok(!/(?<!\\)\]\(https:\/\/evil\)/.test(outside), "no live link");
    const row = outside.split("\n").find((l) => l.startsWith("| mandatory") && l.includes("Approved")) ?? "";
    assert.equal(row.match(/(?<!\\)\|/g)?.length, 5, `the row keeps its four cells: ${row}`);
    // AND the message is whole inside a fence that its own backticks cannot close
    const fence = /^(`{4,})text$/m.exec(md)?.[1];
    assert.ok(fence, md);
    assert.ok(
      md.includes(`${fence}text\nImage "x\`\`\`\n## Approved <img`),
      "the message verbatim inside the fence",
    );
  });

  it("text groups findings under the article's causes", () => {
    const text = renderText(report);
    const at = (s: string) => text.indexOf(s);
    assert.ok(at("401 Unauthorized: no pull role") < at("✖ mandatory aks-acr-pull-role"));
    assert.ok(
      at("443 i/o timeout: no route to the private endpoint") < at("✖ mandatory aks-acr-vnet-peering"),
    );
  });
});
