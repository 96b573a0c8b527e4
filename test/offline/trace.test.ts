// The trace prints the model the pack reports from: on every bundled recording, the hops it says
// fail are the pack's mandatory findings of the pull path, no more and no fewer.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PATH_POLICIES } from "../../core/path";
import { renderTraceMarkdown, renderTraceText, traceWorld } from "../../offline/trace";
import { loadWorld, WorldError } from "../../offline/world";
import { aksAcrGuard, REPO_ROOT, ScenarioExpected } from "../harness";

const SCENARIOS = path.join(REPO_ROOT, "scenarios");
/** The policies that report a hop of a pull path (the pull role, the network, the image's reference and platform). */
const PATH_POLICY_NAMES = new Set<string>([
  ...Object.values(PATH_POLICIES),
  "k8s-acr-image-reference",
  "aks-kubelet-identity-on-vmss",
  "aks-sp-secret-valid",
  "k8s-acr-pull-secret-valid",
  "k8s-workload-os-selector",
  "k8s-image-architecture",
]);

describe("aks-acr-guard trace", () => {
  for (const name of fs
    .readdirSync(SCENARIOS)
    .filter((d) => fs.existsSync(path.join(SCENARIOS, d, "world.json")))) {
    it(`names the failing hops the pack reports as mandatory in '${name}'`, () => {
      const expected = JSON.parse(
        fs.readFileSync(path.join(SCENARIOS, name, "expected.json"), "utf8"),
      ) as ScenarioExpected;
      const trace = traceWorld(loadWorld(path.join(SCENARIOS, name, "world.json")));
      const certain = trace.paths.filter((p) => p.certain);
      const failing = new Set(
        certain.flatMap((p) => p.hops.filter((h) => h.verdict === "fail").map((h) => h.policy!)),
      );
      const reported = new Set(
        expected.before
          .filter((f) => f.level === "mandatory" && PATH_POLICY_NAMES.has(f.policy))
          .map((f) => f.policy),
      );
      assert.deepEqual([...failing].sort(), [...reported].sort());
      // A path fails exactly when one of its hops does, and no path is left out of the count.
      for (const p of trace.paths)
        assert.equal(
          p.verdict === "fails",
          p.hops.some((h) => h.verdict === "fail"),
          JSON.stringify(p),
        );
      assert.equal(trace.summary.paths, trace.summary.fails + trace.summary.unknown + trace.summary.pulls);
      // Every failing hop says what the kubelet prints, as its step declares it (nothing read from the message).
      for (const p of trace.paths)
        for (const h of p.hops.filter((x) => x.verdict === "fail"))
          assert.match(h.symptom ?? "", /^(ErrImagePull|InvalidImageName)/, `${name}: ${h.step} ${h.policy}`);
    });
  }

  it("walks the demo hop by hop: the zone, then the peering, then the pull role; the pods' text is the first one's", () => {
    const trace = traceWorld(loadWorld(path.join(SCENARIOS, "broken-hub-spoke", "world.json")));
    assert.equal(trace.paths.length, 1);
    const [p] = trace.paths;
    assert.equal(p.verdict, "fails");
    assert.match(p.cluster, /\/managedClusters\/aks-prod$/);
    assert.match(p.registry, /\/registries\/contosoacr$/);
    const failing = p.hops.filter((h) => h.verdict === "fail");
    assert.deepEqual(
      failing.map((h) => [h.step, h.policy]),
      [
        ["resolve", "acr-private-dns-link"],
        ["route", "aks-acr-vnet-peering"],
        ["authorize", "aks-acr-pull-role"],
      ],
    );
    assert.ok(failing[0].evidence.some((id) => /privateDnsZones\/privatelink\.azurecr\.io$/i.test(id)));
    assert.match(failing[0].message!, /will fail with .*403 Forbidden/);
    assert.match(
      failing[1].message!,
      /will still fail, once acr-private-dns-link's finding is fixed, with .*i\/o timeout/,
    );
    // The admit hop is not a finding of its own: the public path refuses because the zone is unlinked.
    assert.equal(p.hops.find((h) => h.step === "admit")!.verdict, "pass");
    const text = renderTraceText(trace);
    assert.match(text, /1 pull path: 1 failing/);
    assert.match(text, /the pods print now:\n {4}Pods on cluster 'aks-prod'.*403 Forbidden/);
    const md = renderTraceMarkdown(trace);
    assert.match(md, /```mermaid\nflowchart LR/);
    // The diagram names the real resources the hops cross.
    for (const real of ["aks-prod", "privatelink.azurecr.io", "vnet-aks", "vnet-hub", "contosoacr"])
      assert.ok(md.includes(real), `the diagram names ${real}`);
  });

  it("shows an NSG that denies the registry as a route hop the recording cannot decide (aks-subnet-nsg-acr's advisory)", () => {
    const trace = traceWorld(loadWorld(path.join(SCENARIOS, "nsg-denies-acr", "world.json")));
    const [p] = trace.paths;
    const nsg = p.hops.find((h) => h.policy === "aks-subnet-nsg-acr")!;
    assert.deepEqual([nsg.step, nsg.verdict], ["route", "unknown"]);
    assert.match(nsg.message!, /may fail with .*denies outbound TCP 443/);
    assert.equal(p.verdict, "unknown");
  });

  it("traces an image: a misspelt host fails at the content hop, the right one walks the network", () => {
    const world = loadWorld(path.join(SCENARIOS, "healthy-hub-spoke", "world.json"));
    const typo = traceWorld(world, { image: "contosoacr.azureacr.io/shop/web:1.4.2" });
    assert.deepEqual(
      typo.paths.map((p) => [p.verdict, p.hops.map((h) => [h.step, h.verdict, h.policy])]),
      [["fails", [["content", "fail", "k8s-acr-image-reference"]]]],
    );
    const right = traceWorld(world, { image: "contosoacr.azurecr.io/shop/web:1.4.2" });
    assert.equal(right.paths[0].verdict, "pulls", JSON.stringify(right.paths[0].hops, null, 2));
    // No hub firewall: the route is the peering, the endpoint's connection and the node subnets; the image's
    // credentials (its host matched), then the token the credential provider fetches, then authorize.
    assert.deepEqual(
      right.paths[0].hops.map((h) => [h.step, h.policy ?? "pass"]),
      [
        ["content", "pass"],
        ["resolve", "pass"],
        ["route", "pass"],
        ["route", "pass"],
        ["route", "pass"],
        ["admit", "pass"],
        ["authenticate", "pass"],
        ["authenticate", "pass"],
        ["authenticate", "pass"],
        ["authorize", "pass"],
      ],
    );
    assert.match(right.paths[0].hops[4].detail, /no NSG rule or route on the node subnets stops the pull/);
    assert.match(right.paths[0].hops[6].detail, /credential provider matches the image's host/);
    assert.match(
      right.paths[0].hops[7].detail,
      /every node pool scale set shown carries the kubelet identity/,
    );
    assert.match(right.paths[0].hops[8].detail, /ARM-audience tokens are not disabled/);
  });

  it("refuses a cluster or registry the recording does not have, naming those it has", () => {
    const world = loadWorld(path.join(SCENARIOS, "healthy-public", "world.json"));
    assert.throws(
      () => traceWorld(world, { cluster: "aks-typo" }),
      (e: Error) => {
        assert.ok(e instanceof WorldError);
        assert.match(e.message, /--cluster: no managed cluster 'aks-typo'.*aks-prod/);
        return true;
      },
    );
    assert.throws(
      () => traceWorld(world, { registry: "nope" }),
      /--registry: no registry 'nope'.*contosoacr/,
    );
    // By ARM id, name or login server alike.
    for (const registry of ["contosoacr", "contosoacr.azurecr.io"])
      assert.equal(traceWorld(world, { registry }).paths.length, 1, registry);
  });

  describe("the command", () => {
    const cli = aksAcrGuard;

    it("prints JSON as docs/trace-schema.md documents it; exit 1 when a path fails, 0 when all pull", async () => {
      const broken = await cli(["trace", "scenarios/broken-hub-spoke/world.json", "--format", "json"]);
      assert.equal(broken.code, 1, broken.stderr);
      const json = JSON.parse(broken.stdout) as ReturnType<typeof traceWorld>;
      assert.equal(json.version, 1);
      const schema = fs.readFileSync(path.join(REPO_ROOT, "docs", "trace-schema.md"), "utf8");
      for (const key of new Set([
        ...Object.keys(json),
        ...Object.keys(json.paths[0]),
        ...json.paths[0].hops.flatMap((h) => Object.keys(h)),
      ]))
        assert.ok(schema.includes(`\`${key}\``), `docs/trace-schema.md documents '${key}'`);
      const healthy = await cli(["trace", "scenarios/healthy-hub-spoke/world.json"]);
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      assert.match(healthy.stdout, /0 failing, 0 not decidable from the recording, 1 pulling/);
    });

    it("sets no exit code on a path that is not certain: the pack reports it as advisory", async () => {
      // GIVEN the healthy public environment and a second cluster, with no role and no workload of its own
      const world = JSON.parse(
        fs.readFileSync(path.join(SCENARIOS, "healthy-public", "world.json"), "utf8"),
      ) as {
        resources: { id: string; type: string; properties: Record<string, unknown> }[];
        kubernetes: unknown[];
      };
      const cluster = world.resources.find(
        (r) => r.type.toLowerCase() === "microsoft.containerservice/managedclusters",
      )!;
      const other = JSON.parse(
        JSON.stringify(cluster)
          .replace(/aks-prod/g, "aks-batch")
          .replace(/6c1f2a9e-3b7d/g, "7d2e3b0f-4c8e"),
      ) as typeof cluster;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-trace-"));
      try {
        const file = path.join(dir, "world.json");
        fs.writeFileSync(
          file,
          JSON.stringify({ ...world, kubernetes: [], resources: [...world.resources, other] }),
        );
        const trace = traceWorld(loadWorld(file));
        const batch = trace.paths.find((p) => p.cluster.endsWith("/aks-batch"))!;
        // THEN its pull would fail (no pull role), but nothing shows it pulls: not certain, exit 0
        assert.equal(batch.verdict, "fails");
        assert.equal(batch.certain, false);
        const r = await cli(["trace", file]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /aks-batch -> contosoacr: fails .*\[not certain/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("exits 2 on an unknown cluster or a filter given to another command", async () => {
      const r = await cli(["trace", "scenarios/healthy-public/world.json", "--cluster", "aks-typo"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no managed cluster 'aks-typo'/);
      const misplaced = await cli([
        "diagnose",
        "scenarios/healthy-public/world.json",
        "--cluster",
        "aks-prod",
      ]);
      assert.equal(misplaced.code, 2);
      assert.match(misplaced.stderr, /--cluster is trace's option/);
    });
  });
});
