/** AcrImagePullSecret: the dockerconfigjson it builds, from which credentials, through which providers, and the pack's view of it. */
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import { managedCluster } from "../fixtures/azure";
import { dockerConfigJson, type PullCredentials } from "../../components/acr-image-pull-secret";
import { sha256 } from "../../core/identity/pull-secrets";
import { PolicyResourceInput } from "../../offline/resources";
import { assertSilent, assertViolation, usePolicyPack } from "../harness";
import { usePulumiMocks, valueOf, useComponents } from "../harness/mocks";
import { assertNoCanary, CANARY, CREDENTIAL_INVOKES, secretValue } from "../fixtures/secrets";

describe("AcrImagePullSecret under mocks", () => {
  const mocks = usePulumiMocks(CREDENTIAL_INVOKES);
  const components = useComponents();

  /** The registry entry of the one pull Secret declared: what the kubelet logs in with. */
  const pullSecretLogin = () => {
    const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
    const config = JSON.parse(secretValue(secret.inputs.stringData)[".dockerconfigjson"]);
    return config.auths["contosoacr.azurecr.io"] as { username: string; password: string; auth: string };
  };

  it("AcrImagePullSecret builds a dockerconfigjson secret from the registry's live admin credentials, marked secret", async () => {
    const s = new components.AcrImagePullSecret("pull", {
      registryId:
        "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      namespace: "apps",
      attachToDefaultServiceAccount: true,
    });
    await valueOf(s.secret.urn);
    await valueOf(s.serviceAccountPatch!.urn);
    const [secret] = mocks.ofType("kubernetes:core/v1:Secret");
    assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
    assert.deepEqual(secret.inputs.metadata, { name: "acr-contosoacr", namespace: "apps" });
    const login = pullSecretLogin();
    assert.equal(login.username, "contosoacr");
    assert.equal(Buffer.from(login.auth, "base64").toString(), `contosoacr:${CANARY.admin}`);
    const [patch] = mocks.ofType("kubernetes:core/v1:ServiceAccountPatch");
    assert.deepEqual(patch.inputs.metadata, { name: "default", namespace: "apps" });
    assert.deepEqual(patch.inputs.imagePullSecrets, [{ name: "acr-contosoacr" }]);
    assertNoCanary(JSON.stringify(await valueOf(s.secretName)), "the component's outputs");
  });

  it("AcrImagePullSecret reads a registry's admin credentials in another subscription through a provider of that subscription", async () => {
    const other = "9c4e2a7b-1d3f-4b6a-8e5c-7f0a2b4d6e8c";
    const s = new components.AcrImagePullSecret("shared", {
      registryId: `/subscriptions/${other}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr`,
      namespace: "apps",
      providerSubscriptionId: SUBSCRIPTION,
    });
    await valueOf(s.secret.urn);
    assert.deepEqual(
      mocks.ofType("pulumi:providers:azure-native").map((p) => p.inputs.subscriptionId),
      [other],
    );
  });

  const SP_CLIENT_ID = "4d3c2b1a-0f9e-4d8c-b7a6-958473625140";
  for (const [kind, credentials, username] of [
    [
      "a service principal",
      { servicePrincipalClientId: SP_CLIENT_ID, servicePrincipalSecret: CANARY.sp },
      SP_CLIENT_ID,
    ],
    ["a repository-scoped token", { tokenName: "aks-prod-pull", tokenPassword: CANARY.sp }, "aks-prod-pull"],
  ] as const) {
    it(`AcrImagePullSecret pulls with ${kind} when given one, not the admin user`, async () => {
      const s = new components.AcrImagePullSecret("given", {
        registryId:
          "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
        namespace: "apps",
        credentials,
      });
      await valueOf(s.secret.urn);
      const login = pullSecretLogin();
      assert.deepEqual([login.username, login.password], [username, CANARY.sp]);
      assert.equal(mocks.ofType("kubernetes:core/v1:ServiceAccountPatch").length, 0);
    });
  }

  it("AcrImagePullSecret refuses half of a credential, and a service principal with a token", () => {
    const registry = { registryId: "x", namespace: "apps" };
    // The union's halves, as a JavaScript caller or a config could mix them.
    const given = (credentials: object) => ({
      ...registry,
      credentials: credentials as PullCredentials,
    });
    assert.throws(
      () => new components.AcrImagePullSecret("half-sp", given({ servicePrincipalClientId: "y" })),
      /credentials' servicePrincipalClientId and servicePrincipalSecret go together/,
    );
    assert.throws(
      () => new components.AcrImagePullSecret("half-token", given({ tokenName: "t" })),
      /credentials' tokenName and tokenPassword go together/,
    );
    assert.throws(
      () =>
        new components.AcrImagePullSecret(
          "both",
          given({
            tokenName: "aks-prod-pull",
            tokenPassword: "p",
            servicePrincipalClientId: SP_CLIENT_ID,
            servicePrincipalSecret: "q",
          }),
        ),
      /a service principal .* or a token .*, one of them/,
    );
    assert.throws(() => new components.AcrImagePullSecret("empty", given({})), /one of them/);
  });
});

describe("AcrImagePullSecret closes the loop with k8s-acr-pull-secret-valid", () => {
  const { run } = usePolicyPack();
  const registryRes: PolicyResourceInput = {
    type: "azure-native:containerregistry:Registry",
    name: "contosoacr",
    props: {
      id: "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      name: "contosoacr",
      loginServer: "contosoacr.azurecr.io",
      adminUserEnabled: true,
      sku: { name: "Premium" },
    },
  };
  const credentials = (password: string): PolicyResourceInput => ({
    type: "aks-acr-guard:index:AksAcrObserver",
    name: "observer",
    props: {
      observed: [
        {
          id: `${String(registryRes.props.id)}/credentials/admin`,
          name: "credentials",
          type: "Microsoft.ContainerRegistry/registries/credentials",
          properties: { username: "contosoacr", passwordHashes: [sha256(password)] },
        },
      ],
    },
  });
  const secret = (password: string): PolicyResourceInput => ({
    type: "kubernetes:core/v1:Secret",
    name: "acr-contosoacr",
    props: {
      type: "kubernetes.io/dockerconfigjson",
      metadata: { name: "acr-contosoacr", namespace: "apps" },
      stringData: { ".dockerconfigjson": dockerConfigJson("contosoacr.azurecr.io", "contosoacr", password) },
    },
  });

  it("a secret built from a rotated password is reported; the one AcrImagePullSecret builds from live credentials is not", async () => {
    const policy = "k8s-acr-pull-secret-valid";
    // The stack's only cluster, whose kubelet identity cannot pull: the secret decides the pull.
    const aks = managedCluster("aks-prod");
    const stale = await run(policy, [registryRes, aks, credentials(CANARY.admin), secret("rotated-away-0")]);
    assertViolation(stale, "mandatory", secret("rotated-away-0"), "401 Unauthorized");
    for (const d of stale) assertNoCanary(d.message, "a diagnostic");
    assertSilent(await run(policy, [registryRes, credentials(CANARY.admin), secret(CANARY.admin)]));
  });
});
