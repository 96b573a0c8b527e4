// scripts/capture-world.sh, run against stand-in az and kubectl (test/offline/fake-cli) that answer
// from a world file as the real CLIs print: Resource Graph in pages, per subscription, with
// subscriptions an identity cannot see; workloads that carry secrets where real ones do.
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { tokenRecord } from "../fixtures/azure";
import { sha256 } from "../../core/identity/pull-secrets";
import { diagnoseWorld } from "../../offline/preview";
import { loadWorld, stackOf, unreadOf } from "../../offline/world";
import { REPO_ROOT, ScenarioExpected, usePolicyPack } from "../harness";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");
const SCRIPT = path.join(REPO_ROOT, "scripts", "capture-world.sh");
const FAKES = path.join(REPO_ROOT, "test", "offline", "fake-cli");
const CANARY_PASSWORD = "CanaryCapturePw-5e1b9d07";
const exec = promisify(execFile);

interface WorldJson {
  resources: { id: string; name: string; type: string; properties?: Record<string, unknown> }[];
  kubernetes: { kind: string; metadata: { name: string } }[];
  config: { clusterId: string; registryId: string };
}
const readWorld = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as WorldJson;

describe("scripts/capture-world.sh", () => {
  const { pack } = usePolicyPack();
  const captures = fs.mkdtempSync(path.join(os.tmpdir(), "capture-"));
  after(() => fs.rmSync(captures, { recursive: true, force: true }));

  /** Runs the script over `worldFile` as the environment; its args default to the world's cluster and registry. */
  async function capture(
    worldFile: string,
    args?: string[],
    env: Record<string, string> = {},
  ): Promise<{ file: string; stderr: string }> {
    const out = path.join(captures, `world-${Math.random().toString(36).slice(2)}.json`);
    const world = readWorld(worldFile);
    const { stderr } = await exec(
      "bash",
      [SCRIPT, ...(args ?? ["-c", world.config.clusterId, "-r", world.config.registryId]), "-o", out],
      {
        env: {
          ...process.env,
          PATH: `${FAKES}:${process.env.PATH}`,
          WORLD: worldFile,
          CANARY_PASSWORD,
          PAGE_SIZE: "2", // every query takes pages
          ...env,
        },
      },
    );
    return { file: out, stderr };
  }
  const scenarioFile = (name: string) => path.join(SCENARIOS, name, "world.json");
  const writeWorld = (name: string, w: WorldJson) => {
    const file = path.join(captures, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(w));
    return file;
  };
  const findings = async (file: string) =>
    (await diagnoseWorld(loadWorld(file), pack())).before.map(
      (d) => `${d.enforcementLevel} ${d.policyName} ${d.urn.split("::").pop()}`,
    );

  for (const name of [
    "broken-hub-spoke",
    "hub-in-another-subscription",
    "sp-secret-expired",
    "admin-user-enabled",
    "pull-secret-admin-disabled",
    "image-architecture-mismatch",
    "abac-registry",
  ]) {
    it(`records '${name}' page by page so that the pack finds what the scenario expects`, async function () {
      this.timeout(60_000);
      const { file } = await capture(scenarioFile(name));
      const expected = JSON.parse(
        fs.readFileSync(path.join(SCENARIOS, name, "expected.json"), "utf8"),
      ) as ScenarioExpected;
      assert.deepEqual(
        await findings(file),
        expected.before.map((e) => `${e.level} ${e.policy} ${e.resource}`),
      );
    });
  }

  it("follows the ids into a hub's subscription it was not given, and says what it read", async function () {
    this.timeout(60_000);
    // GIVEN a cluster and a registry in one subscription, their hub (VNet, endpoint, zone) in another
    const { file } = await capture(scenarioFile("hub-in-another-subscription"));
    const world = readWorld(file);
    const hubSub = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";
    // THEN the hub's records are there, and the coverage names both subscriptions as read
    assert.ok(world.resources.some((r) => r.name === "vnet-hub" && r.id.includes(hubSub)));
    assert.ok(world.resources.some((r) => r.type.endsWith("privatednszones/a")));
    const coverage = (
      world as unknown as { coverage: { subscriptions: unknown[]; queries: { pages: number }[] } }
    ).coverage;
    assert.deepEqual(coverage.subscriptions, [
      { id: SUBSCRIPTION, read: true },
      { id: hubSub, read: true },
    ]);
    assert.ok(
      coverage.queries.some((q) => q.pages > 1),
      "a query took more than one page",
    );
  });

  it("follows the ids from the registry's subscription into a hub in a third one", async function () {
    this.timeout(60_000);
    // GIVEN the cluster in one subscription, the registry in a second, their hub in a third
    const third = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
    const text = fs
      .readFileSync(scenarioFile("hub-in-another-subscription"), "utf8")
      .replace(
        new RegExp(`/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-acr`, "g"),
        `/subscriptions/${third}/resourceGroups/rg-acr`,
      );
    const w = JSON.parse(text) as WorldJson;
    for (const r of w.resources)
      if (r.id.includes(third)) (r as { subscriptionId?: string }).subscriptionId = third;
    // WHEN it is captured with the cluster's and the registry's ids alone
    const { file } = await capture(writeWorld("three-subscriptions", w));
    const world = readWorld(file);
    // THEN all three are read, the hub's found through the registry's private endpoint connection
    const coverage = (world as unknown as { coverage: { subscriptions: { id: string; read: boolean }[] } })
      .coverage;
    assert.deepEqual(
      coverage.subscriptions.map((s) => s.id).sort(),
      [SUBSCRIPTION, third, "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c"].sort(),
    );
    assert.ok(coverage.subscriptions.every((s) => s.read));
    for (const name of ["contosoacr", "vnet-hub", "pe-contosoacr", "privatelink.azurecr.io"])
      assert.ok(
        world.resources.some((r) => r.name === name),
        `${name} recorded`,
      );
  });

  it("records what it could not read, and the pack asks about it instead of failing it", async function () {
    this.timeout(60_000);
    // GIVEN an identity that cannot read the hub's subscription, nor list the admin credentials
    const { file, stderr } = await capture(scenarioFile("hub-in-another-subscription"), undefined, {
      DENY_SUBSCRIPTIONS: "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c",
    });
    const world = loadWorld(file);
    assert.ok(!world.resources.some((r) => r.name === "vnet-hub"));
    assert.deepEqual(unreadOf(world), [
      "subscription 9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c: Resource Graph showed none of it (the capture's identity needs Reader there)",
    ]);
    assert.match(stderr, /1 subscriptions unread/);
    // THEN only the pull role (which the recording shows broken) is certain; the hub's hops are asked about
    assert.deepEqual(await findings(file), [
      "mandatory aks-acr-pull-role aks-prod",
      "advisory acr-firewall-aks-egress-unverified aks-prod",
    ]);
  });

  it("goes on without listCredentials, saying so, and runs az acr in the registry's subscription", async function () {
    this.timeout(60_000);
    const { file } = await capture(scenarioFile("admin-user-enabled"), undefined, { DENY_CREDENTIALS: "1" });
    const world = loadWorld(file);
    assert.ok(!world.resources.some((r) => r.type.endsWith("/credentials")));
    assert.equal(unreadOf(world).length, 1);
    assert.match(unreadOf(world)[0], /^az acr credential show -n contosoacr: .*listCredentials/);
  });

  it("records a pull role granted at a management group above the registry", async function () {
    this.timeout(60_000);
    // GIVEN a kubelet without AcrPull in the subscription, holding it through a management group
    const w = readWorld(scenarioFile("kubelet-without-acrpull"));
    const kubelet = JSON.stringify(w.resources).match(/"objectId":"([0-9a-f-]{36})"/)![1];
    const mg = "/providers/Microsoft.Management/managementGroups/mg-platform";
    w.resources.push({
      id: `${mg}/providers/Microsoft.Authorization/roleAssignments/0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0`,
      name: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
      type: "microsoft.authorization/roleassignments",
      properties: {
        principalId: kubelet,
        principalType: "ServicePrincipal",
        roleDefinitionId:
          "/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
        scope: mg,
      },
    });
    const before = await findings(scenarioFile("kubelet-without-acrpull"));
    assert.ok(before.includes("mandatory aks-acr-pull-role aks-prod"));
    // WHEN it is recorded THEN the assignment is there and the pull role is no finding
    const { file } = await capture(writeWorld("mg-role", w));
    assert.ok(readWorld(file).resources.some((r) => r.id.startsWith(mg)));
    assert.ok(!(await findings(file)).some((f) => f.includes("aks-acr-pull-role")));
  });

  it("says when it could not read the role assignments above the registry, and the pack does not call the role missing", async function () {
    this.timeout(60_000);
    // GIVEN a kubelet with no pull role in the subscription, and an identity that cannot list the
    // assignments of the management groups above the registry
    const file = scenarioFile("kubelet-without-acrpull");
    assert.ok((await findings(file)).includes("mandatory aks-acr-pull-role aks-prod"));
    const { file: out } = await capture(file, undefined, { DENY_ROLE_LIST: "1" });
    const world = loadWorld(out);
    assert.match(
      unreadOf(world)[0],
      /^az role assignment list --scope .*registries\/contosoacr --include-inherited .*AuthorizationFailed/,
    );
    // THEN the missing role is asked about, not certain, and says why
    const diags = (await diagnoseWorld(world, pack())).before.filter((d) =>
      d.policyName.startsWith("aks-acr-pull-role"),
    );
    assert.deepEqual(
      diags.map((d) => `${d.enforcementLevel} ${d.policyName}`),
      ["advisory aks-acr-pull-role-unverified"],
    );
    assert.match(diags[0].message, /role assignments that apply at .*contosoacr could not be read/);
  });

  it("refuses a kube context of another cluster, and records with the right one", async function () {
    this.timeout(60_000);
    const file = scenarioFile("pull-secret-admin-disabled");
    const { clusterId, registryId } = readWorld(file).config;
    // GIVEN the current context talks to another cluster
    await assert.rejects(
      capture(file, undefined, { KUBE_CONTEXT: "other-cluster" }),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 2);
        assert.match(
          e.stderr,
          /kube context 'other-cluster' talks to aks-other-0a1b2c3d\.hcp\.westeurope\.azmk8s\.io, not to cluster/,
        );
        assert.match(e.stderr, /--kube-context .*managedClusters\/aks-prod=<its context>/);
        return true;
      },
    );
    // WHEN the cluster's context is named THEN its workloads are recorded, marked with the cluster
    const { file: out } = await capture(
      file,
      ["-c", clusterId, "-r", registryId, "--kube-context", `${clusterId}=aks-prod`],
      { KUBE_CONTEXT: "other-cluster" },
    );
    const k = readWorld(out).kubernetes as unknown as { metadata: { annotations: Record<string, string> } }[];
    assert.ok(k.length > 0);
    for (const o of k) assert.equal(o.metadata.annotations["aks-acr-guard.io/cluster"], clusterId);
  });

  it("writes no secret: no env value, argument, annotation or password, only hashes", async function () {
    this.timeout(60_000);
    // GIVEN workloads carrying the canary in env, args and last-applied-configuration, a pull
    // secret with a password, a registry with admin passwords and a token whose password the CLI prints
    const w = readWorld(scenarioFile("pull-secret-admin-disabled"));
    const registry = w.resources.find((r) => r.type.endsWith("containerregistry/registries"))!;
    registry.properties = { ...registry.properties, adminUserEnabled: true };
    w.resources.push(tokenRecord(w.config.registryId, "ci-pull", { expiry: "2027-03-01T00:00:00Z" }));
    const secretPassword = "not-a-real-password-0";
    const { file } = await capture(writeWorld("secrets", w));
    const text = fs.readFileSync(file, "utf8");
    // THEN none of them, whole or base64-encoded, is in the recording
    for (const canary of [
      CANARY_PASSWORD,
      secretPassword,
      Buffer.from(secretPassword).toString("base64").slice(0, 16),
      Buffer.from(`contosoacr:${secretPassword}`).toString("base64").slice(0, 16),
      "last-applied-configuration",
      "managedFields",
      "DB_PASSWORD",
    ])
      assert.ok(!text.includes(canary), `the recording holds ${canary}`);
    // AND the hashes the pack compares are: the admin passwords', the pull secret's
    const world = readWorld(file);
    const creds = world.resources.find(
      (r) => r.type === "Microsoft.ContainerRegistry/registries/credentials",
    )!;
    assert.deepEqual(creds.properties!.passwordHashes, [
      sha256(CANARY_PASSWORD),
      sha256(`second-${CANARY_PASSWORD}`),
    ]);
    assert.ok(text.includes(sha256(secretPassword)));
    const token = world.resources.find((r) => r.type.endsWith("/tokens"))!;
    assert.deepEqual(
      token.properties,
      tokenRecord(w.config.registryId, "ci-pull", { expiry: "2027-03-01T00:00:00Z" }).properties,
    );
    // AND the workloads keep what the checks read
    const { resources } = stackOf(loadWorld(file));
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
    const spec = (deployment.props as { spec: { template: { spec: Record<string, unknown> } } }).spec.template
      .spec;
    assert.deepEqual(Object.keys(spec).sort(), ["containers", "imagePullSecrets", "nodeSelector"]);
  });

  it("records every cluster and registry of a management group or of subscriptions, with no program config", async function () {
    this.timeout(60_000);
    const file = scenarioFile("broken-hub-spoke");
    const { clusterId } = readWorld(file).config;
    const sub = clusterId.split("/")[2];
    const { file: out } = await capture(file, [
      "--subscriptions",
      sub,
      "--kube-context",
      `${clusterId}=aks-prod`,
    ]);
    const world = readWorld(out);
    assert.deepEqual(world.config, {});
    assert.equal(world.resources.filter((r) => r.type.endsWith("managedclusters")).length, 1);
    assert.ok(world.kubernetes.length > 0);
    // A management group holding the cluster's subscription, its hub outside it: followed by the ids
    const hubbed = scenarioFile("hub-in-another-subscription");
    const { file: mg } = await capture(hubbed, ["--management-group", "mg-platform"], {
      MG_SUBSCRIPTIONS: sub,
    });
    const group = readWorld(mg) as unknown as WorldJson & {
      coverage: { managementGroup: string; subscriptions: { id: string; read: boolean }[] };
    };
    assert.equal(group.coverage.managementGroup, "mg-platform");
    assert.deepEqual(
      group.coverage.subscriptions.map((s) => s.id).sort(),
      [sub, "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c"].sort(),
    );
    assert.ok(group.resources.some((r) => r.name === "vnet-hub"));
    // A management group the identity cannot read: exit 1, saying what to check
    await assert.rejects(
      capture(file, ["--management-group", "unknown-mg"]),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 1);
        assert.match(
          e.stderr,
          /cannot read management group unknown-mg: check its name and that the identity holds Reader on it/,
        );
        return true;
      },
    );
  });

  it("refuses a bad id with the expected form", async () => {
    await assert.rejects(
      exec("bash", [SCRIPT, "-c", "aks-prod", "-r", "contosoacr"]),
      (e: { code: number; stderr: string }) =>
        e.code === 2 &&
        /-c aks-prod is not \/subscriptions\/<sub>\/resourceGroups\/<group>\/providers\/Microsoft.ContainerService\/managedClusters\/<name>/.test(
          e.stderr,
        ),
    );
  });
});
