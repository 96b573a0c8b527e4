/**
 * The pack's own promises under the real engine: `--policy-pack-config` sets levels and config (and
 * a value of the wrong type is refused), and the one-reading-per-AnalyzeStack shortcut
 * (`AKS_ACR_GUARD_SHARED_STACK=0` turns it off) changes no finding.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { loadWorld, World } from "../../offline/world";
import {
  azureConfig,
  declareWorld,
  EngineContext,
  useEngineContext,
  engineStack,
  EngineFinding,
  preview,
  REPO_ROOT,
  up,
  seedWorld,
  subscriptionOf,
} from "./engine";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));
const line = (f: EngineFinding) => `${f.policy} ${f.level} ${f.resource}: ${f.message}`;

/** A deployed stack that owns a scenario's recorded environment. */
async function deployed(ctx: EngineContext, world: World, name: string): Promise<Stack> {
  seedWorld(ctx, world);
  const sub = subscriptionOf(world);
  const stack = await engineStack(
    ctx,
    name,
    async () => void declareWorld(world, sub),
    azureConfig(ctx, sub),
  );
  const r = await up(ctx, stack);
  assert.ok(r.ok, r.error);
  return stack;
}

describe("the policy pack's config and switches under the real engine", function () {
  this.timeout(300_000);
  const ctx = useEngineContext({ each: true });

  it("takes levels from --policy-pack-config: a mandatory policy set to advisory no longer fails the preview", async () => {
    const stack = await deployed(ctx, scenario("kubelet-without-acrpull"), "levels");
    const strict = await preview(ctx, stack, { policyPack: true });
    assert.ok(
      strict.findings.some((f) => f.policy === "aks-acr-pull-role" && f.level === "mandatory"),
      strict.findings.map(line).join("\n"),
    );
    assert.equal(strict.ok, false);
    const relaxed = await preview(ctx, stack, {
      policyPack: true,
      policyConfig: { "aks-acr-pull-role": "advisory" },
    });
    const pull = relaxed.findings.filter((f) => f.policy === "aks-acr-pull-role");
    assert.ok(
      pull.length > 0 && pull.every((f) => f.level === "advisory"),
      relaxed.findings.map(line).join("\n"),
    );
    assert.ok(relaxed.ok, relaxed.error);
  });

  it("takes allowedLoginServers and levels for k8s-acr-registry-known", async () => {
    const stack = await deployed(ctx, scenario("registry-unknown"), "allow-list");
    const strict = await preview(ctx, stack, {
      policyPack: true,
      policyConfig: { "k8s-acr-registry-known": { enforcementLevel: "mandatory" } },
    });
    assert.deepEqual(
      strict.findings.map((f) => `${f.policy} ${f.level} ${f.resource}`),
      ["k8s-acr-registry-known mandatory apps/web"],
    );
    assert.equal(strict.ok, false);
    const allowed = await preview(ctx, stack, {
      policyPack: true,
      policyConfig: {
        "k8s-acr-registry-known": {
          enforcementLevel: "mandatory",
          allowedLoginServers: ["fabrikamimages.azurecr.io"],
        },
      },
    });
    assert.deepEqual(allowed.findings, []);
    assert.ok(allowed.ok, allowed.error);
  });

  it("honours suppressions in --policy-pack-config: one in force hides the finding, an expired one says so, one without a date is refused", async () => {
    const stack = await deployed(ctx, scenario("kubelet-without-acrpull"), "suppressions");
    const strict = await preview(ctx, stack, { policyPack: true });
    const pull = strict.findings.filter((f) => f.policy === "aks-acr-pull-role" && f.level === "mandatory");
    assert.ok(pull.length > 0, strict.findings.map(line).join("\n"));
    const suppress = (expires: string) => ({
      "aks-acr-pull-role": {
        suppressions: pull.map((f) => ({
          resource: f.resource,
          reason: "granted by hand (PLAT-1)",
          expires,
        })),
      },
    });
    const hidden = await preview(ctx, stack, { policyPack: true, policyConfig: suppress("2999-12-31") });
    assert.deepEqual(
      hidden.findings.filter((f) => f.policy === "aks-acr-pull-role"),
      [],
      hidden.findings.map(line).join("\n"),
    );
    assert.ok(hidden.ok, hidden.error);
    const expired = await preview(ctx, stack, { policyPack: true, policyConfig: suppress("2020-01-31") });
    const back = expired.findings.filter((f) => f.policy === "aks-acr-pull-role");
    assert.equal(back.length, pull.length);
    assert.ok(
      back.every((f) => /suppression \("granted by hand \(PLAT-1\)"\) expired on 2020-01-31/.test(f.message)),
    );
    assert.equal(expired.ok, false);
    const undated = await preview(ctx, stack, {
      policyPack: true,
      policyConfig: { "aks-acr-pull-role": { suppressions: [{ resource: "x", reason: "no date" }] } },
    });
    assert.equal(undated.ok, false);
    assert.match(undated.error ?? "", /expires/);
  });

  it("fails on a config value of the wrong type, naming the policy and the property", async () => {
    const stack = await deployed(ctx, scenario("healthy-public"), "bad-config");
    const r = await preview(ctx, stack, {
      policyPack: true,
      policyConfig: { "aks-sp-secret-expiring": { warnWithinDays: "thirty" } },
    });
    assert.equal(r.ok, false);
    assert.match(r.error ?? "", /aks-sp-secret-expiring/);
    assert.match(r.error ?? "", /warnWithinDays/);
  });

  it("finds the same with the shared stack reading switched off (AKS_ACR_GUARD_SHARED_STACK=0)", async () => {
    const stack = await deployed(ctx, scenario("broken-hub-spoke"), "shared-switch");
    const shared = await preview(ctx, stack, { policyPack: true });
    const alone = await preview(ctx, stack, { policyPack: true, env: { AKS_ACR_GUARD_SHARED_STACK: "0" } });
    assert.ok(shared.findings.length >= 3, shared.findings.map(line).join("\n"));
    assert.deepEqual(alone.findings.map(line).sort(), shared.findings.map(line).sort());
    assert.equal(alone.ok, shared.ok);
  });
});
