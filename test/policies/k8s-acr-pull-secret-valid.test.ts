import * as assert from "node:assert/strict";
import { sha256 } from "../../core/identity/pull-secrets";
import {
  daysFromNow,
  idOf,
  kubeletPull,
  managedCluster,
  observer,
  prop,
  registry,
  roleAssignment,
  ROLE,
  servicePrincipal,
  servicePrincipalRecord,
} from "../fixtures/azure";
import { dockerConfigSecret } from "../fixtures/kubernetes";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  PolicyResourceInput,
  usePolicy,
  usePolicyPack,
  withProps,
  withUnknown,
} from "../harness";

const POLICY = "k8s-acr-pull-secret-valid";
const CANARY = "CANARY-pw-7f3a9c1e-do-not-print";

describe(POLICY, () => {
  const { pack, run: runAlone } = usePolicy(POLICY);
  const harness = usePolicyPack();
  // The kubelet tries a pod's pull secrets, then its own credential: a broken secret fails the pull
  // where the cluster's kubelet identity cannot pull either. The stack's only cluster, with no pull role.
  const aks = managedCluster("aks-prod");
  const run = (resources: PolicyResourceInput[]) => runAlone([aks, ...resources]);

  const acr = registry("contosoacr", { adminUserEnabled: true });
  const credentials = (...passwords: string[]) =>
    observer([
      {
        id: `${idOf(acr)}/credentials/admin`,
        name: "contosoacr",
        type: "Microsoft.ContainerRegistry/registries/credentials",
        properties: { username: "contosoacr", passwordHashes: passwords.map(sha256) },
      },
    ]);
  const adminSecret = (username = "contosoacr", password = CANARY) =>
    dockerConfigSecret("acr-pull", "contosoacr.azurecr.io", username, password);

  it("is silent for an admin secret with a current password on an admin-enabled registry", async () => {
    assertSilent(await run([acr, adminSecret(), credentials("other", CANARY)]));
  });

  it("reports an admin secret on a registry whose admin account is disabled", async () => {
    const s = adminSecret();
    assertViolation(
      await run([registry("contosoacr"), s]),
      "mandatory",
      s,
      "401 Unauthorized",
      "admin account, which registry 'contosoacr' has disabled",
      "AcrImagePullSecret",
    );
  });

  it("reports a password that matches neither current admin password", async () => {
    const s = adminSecret();
    assertViolation(
      await run([acr, s, credentials("new-1", "new-2")]),
      "mandatory",
      s,
      "were regenerated since (solution 6)",
    );
  });

  describe("built from a repository-scoped token or a Microsoft Entra token", () => {
    const token = (name: string, status = "enabled", expiry?: string) => ({
      id: `${idOf(acr)}/tokens/${name}`,
      name,
      type: "Microsoft.ContainerRegistry/registries/tokens",
      properties: {
        status,
        scopeMapId: `${idOf(acr)}/scopeMaps/_repositories_pull`,
        credentials: { passwords: [{ name: "password1", ...(expiry ? { expiry } : {}) }] },
      },
    });
    const tokenSecret = (username: string) =>
      dockerConfigSecret("acr-pull", "contosoacr.azurecr.io", username, CANARY);
    const adminOff = registry("contosoacr");

    it("is silent for a token on a registry whose admin account is disabled, while its tokens are not known", async () => {
      assertSilent(await run([adminOff, tokenSecret("ci-pull")]));
    });

    it("is silent for a token the observer recorded enabled with a live password", async () => {
      const live = new Date(Date.now() + 30 * 86_400_000).toISOString();
      assertSilent(
        await run([adminOff, tokenSecret("ci-pull"), observer([token("ci-pull", "enabled", live)])]),
      );
    });

    it("reports a token name the registry does not have, once its tokens are known", async () => {
      const s = tokenSecret("ci-pul");
      assertViolation(
        await run([adminOff, s, observer([token("ci-pull")])]),
        "mandatory",
        s,
        "401 Unauthorized",
        "nor one of registry 'contosoacr''s tokens (ci-pull)",
      );
    });

    it("reports a disabled token, and one whose every password expired", async () => {
      const disabled = tokenSecret("ci-pull");
      assertViolation(
        await run([adminOff, disabled, observer([token("ci-pull", "disabled")])]),
        "mandatory",
        disabled,
        "token 'ci-pull' of registry 'contosoacr', which is disabled",
      );
      const expired = tokenSecret("ci-pull");
      assertViolation(
        await run([adminOff, expired, observer([token("ci-pull", "enabled", "2026-01-31T00:00:00Z")])]),
        "mandatory",
        expired,
        "whose every password expired by 2026-01-31",
      );
    });

    const jwt = (exp: number) =>
      [
        "eyJhbGciOiJSUzI1NiJ9",
        Buffer.from(JSON.stringify({ exp })).toString("base64url"),
        "c2lnbmF0dXJl",
      ].join(".");
    const entraSecret = (exp: number) =>
      dockerConfigSecret(
        "acr-pull",
        "contosoacr.azurecr.io",
        "00000000-0000-0000-0000-000000000000",
        jwt(exp),
      );

    it("is silent for a Microsoft Entra token not yet expired, even where service principals are observed", async () => {
      const spObserved = observer([servicePrincipalRecord(servicePrincipal("sp-other"), [daysFromNow(90)])]);
      assertSilent(await run([adminOff, entraSecret(Date.now() / 1000 + 3600), spObserved]));
    });

    it("reports a Microsoft Entra token past its expiry, without showing it", async () => {
      const s = entraSecret(Date.now() / 1000 - 3600);
      const d = assertViolation(
        await run([adminOff, s]),
        "mandatory",
        s,
        "Microsoft Entra token",
        "expired at",
      );
      assert.ok(!d.message.includes("eyJ"), "the token is never shown");
    });
  });

  describe("built from a service principal", () => {
    const sp = servicePrincipal("sp-ci-pull");
    const spSecret = dockerConfigSecret("acr-pull", "contosoacr.azurecr.io", prop(sp, "clientId"), CANARY);
    const pullRole = roleAssignment("sp-pull", {
      principalId: prop(sp, "objectId"),
      scope: idOf(acr),
      roleGuid: ROLE.acrPull,
    });

    it("is silent when the service principal is valid and may pull", async () => {
      assertSilent(
        await run([acr, sp, pullRole, spSecret, observer([servicePrincipalRecord(sp, [daysFromNow(90)])])]),
      );
    });
    it("reports a service principal with no pull role", async () => {
      assertViolation(
        await run([acr, sp, spSecret]),
        "mandatory",
        spSecret,
        "holds no role that pulls from registry 'contosoacr'",
      );
    });
    it("reports an expired service principal", async () => {
      assertViolation(
        await run([acr, sp, pullRole, spSecret, observer([servicePrincipalRecord(sp, [daysFromNow(-5)])])]),
        "mandatory",
        spSecret,
        "whose every credential ended by",
      );
    });
    it("reports a service principal the observer did not find", async () => {
      const ghost = dockerConfigSecret(
        "acr-pull",
        "contosoacr.azurecr.io",
        "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d",
        CANARY,
      );
      assertViolation(
        await run([acr, ghost, observer([servicePrincipalRecord(sp, [daysFromNow(90)])])]),
        "mandatory",
        ghost,
        "does not exist in the tenant",
      );
    });
  });

  describe("a secret the kubelet cannot use", () => {
    const encoded = (json: string) =>
      withProps(adminSecret(), (p) => {
        (p.data as Record<string, string>)[".dockerconfigjson"] = Buffer.from(json).toString("base64");
      });
    it("reports one it cannot parse: it then pulls none of the pod's images, whatever else it holds", async () => {
      const notJson = encoded("{not json");
      assertViolation(
        await runAlone([acr, aks, kubeletPull(aks, acr), notJson]),
        "mandatory",
        notJson,
        "cannot parse the secret",
        "is not JSON",
      );
      const badAuth = encoded(
        JSON.stringify({ auths: { "contosoacr.azurecr.io": { auth: "bm8tY29sb24=" } } }),
      );
      assertViolation(await run([acr, badAuth]), "mandatory", badAuth, "is not base64 of username:password");
    });
    it("leaves one it skips (no auths) to the advisory half: the kubelet tries its own credential next", async () => {
      const skipped = encoded(JSON.stringify({ credsStore: "none" }));
      assertNoMandatory(await run([acr, skipped]));
      assertViolation(
        await harness.run(`${POLICY}-unverified`, [aks, acr, skipped]),
        "advisory",
        skipped,
        "the kubelet skips it",
        "has no auths object",
      );
    });
  });

  describe("the kubelet's own credential, which it tries after the pod's secrets", () => {
    const disabled = registry("contosoacr");
    it("is silent where the cluster's kubelet identity pulls from the registry: the pull works", async () => {
      assertSilent(await runAlone([disabled, aks, kubeletPull(aks, disabled), adminSecret()]));
    });
    it("says which cluster cannot pull either, and how it could", async () => {
      const s = adminSecret();
      assertViolation(
        await run([disabled, s]),
        "mandatory",
        s,
        "cannot pull from registry 'contosoacr' either (cluster 'aks-prod'",
        "az aks update -g rg-aks -n aks-prod --attach-acr contosoacr",
      );
    });
    it("leaves a secret no cluster is tied to to the advisory half", async () => {
      const s = adminSecret();
      const second = managedCluster("aks-test");
      assertNoMandatory(await runAlone([disabled, aks, second, s]));
      assertViolation(
        await harness.run(`${POLICY}-unverified`, [disabled, aks, second, s]),
        "advisory",
        s,
        "not certain",
        "the stack does not tie the secret to one cluster",
      );
      assertViolation(await harness.run(`${POLICY}-unverified`, [disabled, s]), "advisory", s, "not certain");
    });
    it("says nothing mandatory while the kubelet identity's pull role waits on preview", async () => {
      assertNoMandatory(await runAlone([disabled, withUnknown(aks, "identityProfile"), adminSecret()]));
    });
  });

  it("ignores secrets for registries outside the stack", async () => {
    assertSilent(
      await run([acr, dockerConfigSecret("other", "fabrikamacr.azurecr.io", "fabrikamacr", CANARY)]),
    );
  });

  it("reports nothing mandatory while the secret's data is not known", async () => {
    assertNoMandatory(await run([acr, withUnknown(adminSecret(), "data")]));
  });

  it("never shows a password, whole, in part, or base64-encoded", async () => {
    const all = await pack().analyzeAll([registry("contosoacr"), adminSecret(), credentials("x")]);
    assert.ok(all.length > 0, "the stack has findings to inspect");
    const forms = [
      CANARY,
      CANARY.slice(0, 12),
      CANARY.slice(-12),
      Buffer.from(CANARY).toString("base64"),
      Buffer.from(`contosoacr:${CANARY}`).toString("base64"),
    ];
    for (const d of all)
      for (const f of forms) assert.ok(!d.message.includes(f), `${d.policyName} shows ${f}`);
  });
});
