// Properties of the pack over every recorded scenario, checked with fast-check: no shape of
// property crashes a policy, preview unknowns never add a mandatory violation, and nothing the
// offline tool prints or declares carries a secret.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import fc from "fast-check";
import { loadWorld } from "../../offline/world";
import {
  asPreview,
  Diagnostic,
  PolicyResourceInput,
  REPO_ROOT,
  scenarioStacks,
  unknown,
  usePolicyPack,
} from "../harness";

const stacks = scenarioStacks();

/** Every path (object keys and array indexes) in a value, to a depth. */
function paths(v: unknown, depth: number, prefix: string[] = []): string[][] {
  if (depth === 0 || v === null || typeof v !== "object") return [];
  return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, depth - 1, [...prefix, k])]);
}

/** Values a property can take that a policy must survive. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    "",
    "x".repeat(100_000),
    "/subscriptions//resourceGroups/",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries",
    "not/an/arm/id",
    "300.1.1.1/33",
    "10.0.0.0/-1",
    "::1/128",
    "%%%not-base64%%%",
    "contosoacr.azureacr.io/web:1.0",
    "@sha256:",
    [],
    {},
    [null],
    { id: 7 },
    "DELETE",
  ),
  fc.constant("UNKNOWN"),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)), {
    maxKeys: 3,
  }),
);

function mutated(
  resources: PolicyResourceInput[],
  edits: { resource: number; path: number; value: unknown }[],
): PolicyResourceInput[] {
  // Analyze gets inputs derived from the mutated outputs (inputsOf), not the recording's.
  const out = resources.map((r) => ({ ...r, props: structuredClone(r.props), inputs: undefined }));
  for (const e of edits) {
    const r = out[e.resource % out.length];
    const all = paths(r.props, 6);
    if (all.length === 0) continue;
    const p = all[e.path % all.length];
    let cur = r.props as Record<string, unknown>;
    for (const k of p.slice(0, -1)) cur = (cur?.[k] ?? {}) as Record<string, unknown>;
    if (!cur || typeof cur !== "object") continue;
    const key = p[p.length - 1];
    // The engine sends lists without holes: a deleted element is gone.
    if (e.value === "DELETE") {
      if (Array.isArray(cur)) cur.splice(Number(key), 1);
      else delete cur[key];
    } else cur[key] = e.value === "UNKNOWN" ? unknown() : structuredClone(e.value);
  }
  return out;
}

describe("properties of the pack over every scenario (fast-check)", () => {
  const { pack, sameUnshared: sameFindings } = usePolicyPack();
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 120);

  it(`never crashes a policy, and reading the stack once changes no finding, whatever the properties hold (${RUNS} generated stacks)`, async function () {
    this.timeout(600_000);
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(stacks.length - 1),
        fc.array(fc.record({ resource: fc.nat(), path: fc.nat(), value: oddValue }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (which, edits) => {
          const stack = mutated(stacks[which].resources, edits);
          ran++;
          // A policy that throws fails every preview in the organisation: a request rejects then.
          await pack().analyzeEach(stack);
          const found = await pack().analyzeStack(stack);
          await sameFindings(stack, `generated stack ${ran}`, undefined, found);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.PROPERTY_SEED ?? 20261122) },
    );
    assert.equal(ran, RUNS);
    this.test!.title += ` [${ran} cases ran]`;
  });

  for (const { name, resources } of stacks) {
    it(`adds no mandatory violation in a first preview of '${name}' (every computed output unknown)`, async () => {
      const mandatory = (ds: Diagnostic[]) =>
        new Set(ds.filter((d) => d.enforcementLevel === "mandatory").map((d) => `${d.policyName} ${d.urn}`));
      await pack().configure();
      const known = mandatory(await pack().analyzeAll(resources));
      const previewed = mandatory(await pack().analyzeAll(resources.map(asPreview)));
      for (const k of previewed) assert.ok(known.has(k), `preview adds ${k}`);
      if (name.startsWith("healthy")) assert.equal(previewed.size, 0);
    });

    it(`finds in '${name}', known and in preview, what the pack reading the stack once per policy finds`, async () => {
      await sameFindings(resources, name);
      await sameFindings(resources.map(asPreview), `${name} in preview`);
    });
  }
});

describe("secrets in what the offline tool prints", () => {
  const { pack } = usePolicyPack();

  it("no report format shows a pull secret's password, and a planned pull secret is masked", async function () {
    this.timeout(60_000);
    const { offlinePreview } = await import("../../offline/preview");
    const { previewReportOf, renderMarkdown, renderText } = await import("../../offline/report");
    const world = loadWorld(path.join(REPO_ROOT, "scenarios", "pull-secret-admin-disabled", "world.json"));
    world.config.pullSecretNamespace = "apps";
    const r = await offlinePreview(world, pack());
    const report = previewReportOf("pull-secret-admin-disabled", r);
    const secret = report.plan.find((p) => p.type === "kubernetes:core/v1:Secret");
    assert.deepEqual(secret?.inputs?.stringData, "[secret]");
    const password = "not-a-real-password-0";
    for (const text of [renderText(report), renderMarkdown(report), JSON.stringify(report)]) {
      for (const form of [
        password,
        password.slice(0, 10),
        Buffer.from(password).toString("base64").slice(0, 16),
        Buffer.from(`contosoacr:${password}`).toString("base64").slice(0, 16),
        "recorded-as-hash-only",
      ]) {
        assert.ok(!text.includes(form), `a report shows ${form}`);
      }
    }
  });
});
