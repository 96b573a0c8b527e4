/**
 * What policy tests import: the harness started once per test file, and assertions on diagnostics.
 */
import * as assert from "node:assert/strict";
import { PolicyPackClient, Diagnostic, PolicyConfig } from "../../offline/analyzer";
import { PolicyResourceInput, unknown, urnOf } from "../../offline/resources";

export * from "../../offline/analyzer";
export * from "../../offline/resources";

/**
 * Starts the pack before the enclosing `describe` and stops it after; each test starts from the
 * default config (`configure` again inside a test to override).
 */
export function usePolicyPack(): {
  pack: () => PolicyPackClient;
  /** A preview's diagnostics of one policy, with optional config for it. */
  run: (policy: string, resources: PolicyResourceInput[], config?: PolicyConfig) => Promise<Diagnostic[]>;
} {
  let harness: PolicyPackClient | undefined;
  before(async function () {
    this.timeout(60_000);
    harness = await PolicyPackClient.start();
  });
  beforeEach(async () => {
    await harness!.configure();
  });
  after(async () => {
    await harness?.stop();
  });
  return {
    pack: () => harness!,
    run: (policy, resources, config) => diagnosticsOf(harness!, policy, resources, config),
  };
}

/** usePolicyPack for a test file about one policy: `run(resources, config?)`. */
export function usePolicy(policy: string): {
  pack: () => PolicyPackClient;
  run: (resources: PolicyResourceInput[], config?: PolicyConfig) => Promise<Diagnostic[]>;
} {
  const { pack, run } = usePolicyPack();
  return { pack, run: (resources, config) => run(policy, resources, config) };
}

/** Runs what a preview runs (Analyze per resource, AnalyzeStack) with optional config; one policy's diagnostics. */
export async function diagnosticsOf(
  harness: PolicyPackClient,
  policy: string,
  resources: PolicyResourceInput[],
  config?: PolicyConfig,
): Promise<Diagnostic[]> {
  if (config) await harness.configure({ [policy]: config });
  const all = await harness.analyzeAll(resources);
  return all.filter((d) => d.policyName === policy);
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
