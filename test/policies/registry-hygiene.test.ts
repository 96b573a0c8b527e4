// acr-admin-user-disabled, acr-network-rules-sku, acr-public-network-open, aks-acr-least-privilege:
// the registry's own settings and what the pulling identity holds on it.
import * as assert from "node:assert/strict";
import {
  kubeletPull,
  managedCluster,
  registry,
  registryPrivateEndpoint,
  ROLE,
  roleDefinition,
  idOf,
  kubeletObjectId,
  prop,
  roleAssignment,
} from "../fixtures/azure";
import { assertNoMandatory, assertSilent, assertViolation, usePolicyPack, withUnknown } from "../harness";

describe("registry hygiene", () => {
  const { run } = usePolicyPack();
  const aks = managedCluster("aks-prod");

  describe("acr-admin-user-disabled", () => {
    const P = "acr-admin-user-disabled";
    it("is silent when the admin account is off", async () => {
      assertSilent(await run(P, [registry("contosoacr")]));
    });
    it("reports an enabled admin account, with the az command that disables it", async () => {
      const acr = registry("contosoacr", { adminUserEnabled: true });
      assertViolation(
        await run(P, [acr]),
        "advisory",
        acr,
        "adminUserEnabled: true",
        "401 Unauthorized",
        "AcrPullAccess",
        "az acr update -n contosoacr --admin-enabled false",
      );
    });
    it("waits when the setting is not known yet", async () => {
      const diags = await run(P, [withUnknown(registry("contosoacr"), "adminUserEnabled")]);
      assert.ok(diags.every((d) => d.enforcementLevel === "advisory" && /during preview/.test(d.message)));
    });
  });

  describe("acr-network-rules-sku", () => {
    const P = "acr-network-rules-sku";
    it("is silent for Premium with rules, and for Standard without", async () => {
      assertSilent(
        await run(P, [
          registry("premiumacr", { networkRules: { defaultAction: "Deny", ipRules: ["20.50.3.7"] } }),
        ]),
      );
      assertSilent(await run(P, [registry("standardacr", { sku: "Standard" })]));
    });
    it("reports network rules on a Standard registry", async () => {
      const acr = registry("contosoacr", {
        sku: "Standard",
        networkRules: { defaultAction: "Deny", ipRules: ["20.50.3.7"] },
      });
      assertViolation(
        await run(P, [acr]),
        "mandatory",
        acr,
        "is Standard",
        "networkRuleSet.defaultAction: Deny",
        "1 IP rule(s)",
        "az acr update -n contosoacr --sku Premium",
      );
    });
    it("reports a private endpoint to a Basic registry", async () => {
      const acr = registry("contosoacr", { sku: "Basic" });
      assertViolation(
        await run(P, [acr, registryPrivateEndpoint("pe-acr", acr)]),
        "mandatory",
        acr,
        "is Basic",
        "private endpoint 'pe-acr'",
      );
    });
    it("reports nothing mandatory while the SKU is not known", async () => {
      assertNoMandatory(
        await run(P, [
          withUnknown(registry("contosoacr", { networkRules: { defaultAction: "Deny" } }), "sku.name"),
        ]),
      );
    });
  });

  describe("acr-public-network-open", () => {
    const P = "acr-public-network-open";
    it("is silent for narrow IP rules and for a private registry with public access disabled", async () => {
      assertSilent(
        await run(P, [
          registry("contosoacr", {
            networkRules: { defaultAction: "Deny", ipRules: ["20.50.3.7", "20.50.4.0/28"] },
          }),
        ]),
      );
      const priv = registry("privateacr", { publicNetworkAccess: "Disabled" });
      assertSilent(await run(P, [priv, registryPrivateEndpoint("pe", priv)]));
    });
    it("reports an IP rule open to everyone", async () => {
      const acr = registry("contosoacr", { networkRules: { defaultAction: "Deny", ipRules: ["0.0.0.0/0"] } });
      assertViolation(
        await run(P, [acr]),
        "advisory",
        acr,
        "0.0.0.0/0 lets every address on the internet pull",
        "az acr network-rule remove -n contosoacr",
      );
    });
    it("reports a very wide range, with the width configurable", async () => {
      const acr = registry("contosoacr", {
        networkRules: { defaultAction: "Deny", ipRules: ["20.0.0.0/8"] },
      });
      assertViolation(
        await run(P, [acr]),
        "advisory",
        acr,
        "20.0.0.0/8 admits 16,777,216 addresses (wider than /16)",
      );
      assertSilent(await run(P, [acr], { minPrefixLength: 8 }));
    });
    it("reports public access left open beside a private endpoint", async () => {
      const acr = registry("contosoacr");
      assertViolation(
        await run(P, [acr, registryPrivateEndpoint("pe-acr", acr)]),
        "advisory",
        acr,
        "public access is left open (defaultAction: Allow)",
        "private endpoint 'pe-acr'",
        "--public-network-enabled false",
      );
    });
  });

  describe("aks-acr-least-privilege", () => {
    const P = "aks-acr-least-privilege";
    const acr = registry("contosoacr");
    it("is silent when the kubelet identity holds AcrPull", async () => {
      assertSilent(await run(P, [acr, aks, kubeletPull(aks, acr)]));
    });
    for (const [name, guid] of [
      ["Owner", ROLE.owner],
      ["Contributor", ROLE.contributor],
      ["AcrPush", ROLE.acrPush],
    ] as const) {
      it(`reports ${name} held by the kubelet identity, with the assignment to delete`, async () => {
        const broad = kubeletPull(aks, acr, guid, "broad");
        assertViolation(
          await run(P, [acr, aks, broad]),
          "advisory",
          aks,
          `holds ${name} on registry 'contosoacr'`,
          "AcrPullAccess",
          `az role assignment delete --ids ${idOf(broad)}`,
        );
      });
    }
    it("reports a custom role that can push", async () => {
      const def = roleDefinition("Registry Writer", {
        actions: ["Microsoft.ContainerRegistry/registries/*"],
      });
      const a = roleAssignment("custom", {
        principalId: kubeletObjectId(aks),
        scope: idOf(acr),
        roleDefinitionId: prop(def, "id"),
      });
      assertViolation(
        await run(P, [acr, aks, def, a]),
        "advisory",
        aks,
        "holds custom role 'Registry Writer'",
      );
    });
    it("leaves other principals' roles alone", async () => {
      const ci = roleAssignment("ci-push", {
        principalId: "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f",
        scope: idOf(acr),
        roleGuid: ROLE.acrPush,
      });
      assertSilent(await run(P, [acr, aks, kubeletPull(aks, acr), ci]));
    });
  });
});
