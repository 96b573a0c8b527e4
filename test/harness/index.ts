/**
 * What policy tests import: the harness started once per test file, and assertions on diagnostics.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { PolicyPackClient, Diagnostic, PolicyConfig, REPO_ROOT } from "../../offline/analyzer";
import { PolicyResourceInput, urnOf } from "../../offline/resources";
import { unknown } from "./mutate";
import { loadWorld, stackOf, World } from "../../offline/world";

export * from "../../offline/analyzer";
export * from "../../offline/resources";
export * from "./mutate";

/**
 * Starts the pack before the enclosing `describe` and stops it after; each test starts from the
 * default config (`configure` again inside a test to override).
 *
 * The pack reads each AnalyzeStack once for all its stack policies (policies/lib/shared-stack.ts).
 * Every `run`, and every `sameUnshared`, holds that to @pulumi/policy's own reading, once per
 * policy: a second pack with the sharing switched off (started at first use) must find the same.
 */
export function usePolicyPack(): {
  pack: () => PolicyPackClient;
  /**
   * What a preview runs (Analyze per resource, then AnalyzeStack), with optional config for the
   * policy: that policy's diagnostics.
   */
  run: (policy: string, resources: PolicyResourceInput[], config?: PolicyConfig) => Promise<Diagnostic[]>;
  /**
   * Asserts that the pack finds in `resources` (AnalyzeStack: `shared`, when already run) what it
   * finds reading the stack once per policy; only `policy`'s diagnostics when given.
   */
  sameUnshared: (
    resources: PolicyResourceInput[],
    label: string,
    policy?: string,
    shared?: Diagnostic[],
  ) => Promise<void>;
} {
  let harness: PolicyPackClient | undefined;
  let unshared: Promise<PolicyPackClient> | undefined;
  before(async function () {
    this.timeout(60_000);
    harness = await PolicyPackClient.start();
  });
  beforeEach(async () => {
    await harness!.configure();
    await (await unshared)?.configure();
  });
  after(async () => {
    await harness?.stop();
    await (await unshared)?.stop();
  });
  const unsharedPack = () =>
    (unshared ??= PolicyPackClient.start(undefined, { AKS_ACR_GUARD_SHARED_STACK: "0" }));
  const sameUnshared = async (
    resources: PolicyResourceInput[],
    label: string,
    policy?: string,
    shared?: Diagnostic[],
  ) => {
    const alone = await unsharedPack();
    const only = (ds: Diagnostic[]) => (policy ? ds.filter((d) => d.policyName === policy) : ds);
    const [a, b] = await Promise.all([
      shared ?? harness!.analyzeStack(resources),
      alone.analyzeStack(resources),
    ]);
    assert.deepEqual(
      only(a),
      only(b),
      `${label}: the stack read once finds what each policy reading it finds`,
    );
  };
  return {
    pack: () => harness!,
    run: async (policy, resources, config) => {
      // Both packs configured alike; the config holds until the next test.
      if (config) {
        await harness!.configure({ [policy]: config });
        await (await unsharedPack()).configure({ [policy]: config });
      }
      const each = await harness!.analyzeEach(resources);
      const stack = await harness!.analyzeStack(resources);
      await sameUnshared(resources, `${policy}'s stack`, policy, stack);
      return [...each, ...stack].filter((d) => d.policyName === policy);
    },
    sameUnshared,
  };
}

/** A scenario's `expected.json`: what the pack finds before and after the program's plan. */
export interface ScenarioExpected {
  before: { policy: string; level: string; resource: string; contains: string[] }[];
  after: { policy: string; level: string; resource: string }[];
  /** Components the plan declares (none for a healthy environment); absent: at least one fix. */
  declares?: string[];
  /** Substrings of the program's commands, for causes no declaration fixes. */
  commands?: string[];
}

/** usePolicyPack for a test file about one policy: `run(resources, config?)`. */
export function usePolicy(policy: string): {
  pack: () => PolicyPackClient;
  run: (resources: PolicyResourceInput[], config?: PolicyConfig) => Promise<Diagnostic[]>;
} {
  const { pack, run } = usePolicyPack();
  return { pack, run: (resources, config) => run(policy, resources, config) };
}

export function assertSilent(diags: Diagnostic[]): void {
  assert.deepEqual(
    diags.map((d) => `${d.enforcementLevel}: ${d.message}`),
    [],
    "expected no diagnostics",
  );
}

export function assertNoMandatory(diags: Diagnostic[]): void {
  const mandatory = diags.filter((d) => d.enforcementLevel === "mandatory");
  assert.deepEqual(
    mandatory.map((d) => d.message),
    [],
    "expected no mandatory diagnostics",
  );
}

/** Exactly one diagnostic at `level`, on `resource`, whose message contains every fragment. */
export function assertViolation(
  diags: Diagnostic[],
  level: Diagnostic["enforcementLevel"],
  resource: PolicyResourceInput,
  ...fragments: string[]
): Diagnostic {
  assert.equal(diags.length, 1, `expected one diagnostic, got ${JSON.stringify(diags, null, 2)}`);
  const [d] = diags;
  assert.equal(d.enforcementLevel, level, d.message);
  assert.equal(d.urn, urnOf(resource), d.message);
  for (const f of fragments)
    assert.ok(d.message.includes(f), `message lacks ${JSON.stringify(f)}:\n${d.message}`);
  return d;
}

/** Outputs Azure computes on create: unknown in the first preview of a stack that declares everything. */
export const COMPUTED = new Set([
  "id",
  "loginServer",
  "principalId",
  "objectId",
  "clientId",
  "ipAddress",
  "peeringState",
  "customDnsConfigs",
  "identityProfile",
  "fqdn",
  "effectiveOutboundIPs",
  "passwordCredentials",
  "nodeResourceGroup",
  "observed",
  "provisioningState",
  "privateEndpointConnections",
]);

/** A resource as a first preview sees it: every computed output, at any depth, unknown. */
export function asPreview(r: PolicyResourceInput): PolicyResourceInput {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, COMPUTED.has(k) ? unknown() : walk(x)]));
  };
  return { ...r, props: walk(r.props) as Record<string, unknown> };
}

/** Every recorded scenario's world and the stack the offline preview sends for it. */
export function scenarioStacks(): { name: string; world: World; resources: PolicyResourceInput[] }[] {
  const dir = path.join(REPO_ROOT, "scenarios");
  return fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, "world.json")))
    .map((name) => {
      const world = loadWorld(path.join(dir, name, "world.json"));
      return { name, world, resources: stackOf(world).resources };
    });
}

/**
 * Runs the built aks-acr-guard command in this folder: its exit code, stdout and stderr. `preload`
 * is a module Node loads first (`--require`), to break something on purpose.
 */
export function aksAcrGuard(
  args: string[],
  preload?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const node = preload ? ["--require", preload] : [];
  return promisify(execFile)(
    process.execPath,
    [...node, path.join(REPO_ROOT, "bin", "aks-acr-guard.js"), ...args],
    {
      cwd: REPO_ROOT,
    },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

/** Whether a process still runs (signal 0 only asks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
