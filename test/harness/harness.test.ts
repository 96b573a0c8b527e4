import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { managedCluster, registry } from "../fixtures/azure";
import { POLICIES_DIR, REPO_ROOT, usePolicyPack } from "./index";
import { PolicyConfigRejected } from "../../offline/config-schema";

// Policies of CAUSES.md this pack implements so far, with their public names and default levels.
const IMPLEMENTED: Record<string, string> = {
  "aks-acr-pull-role": "mandatory",
  "aks-sp-secret-valid": "mandatory",
  "aks-sp-secret-expiring": "advisory",
  "aks-kubelet-identity-on-vmss": "mandatory",
  "k8s-acr-pull-secret-valid": "mandatory",
  "k8s-acr-image-reference": "mandatory",
  "k8s-acr-registry-known": "advisory",
  "k8s-image-tag-pinned": "advisory",
  "acr-private-dns-link": "mandatory",
  "acr-firewall-aks-egress": "mandatory",
  "aks-acr-vnet-peering": "mandatory",
  "aks-acr-hub-firewall": "mandatory",
  "k8s-workload-os-selector": "mandatory",
  "aks-subnet-nsg-acr": "advisory",
  "acr-admin-user-disabled": "advisory",
  "aks-acr-least-privilege": "advisory",
  "acr-network-rules-sku": "mandatory",
  "acr-public-network-open": "advisory",
};

describe("the policy pack under the engine's runner", () => {
  const { pack } = usePolicyPack();

  it("answers GetAnalyzerInfo with the pack's name, version and policies", async () => {
    const info = await pack().info();
    assert.equal(info.name, "aks-acr-guard");
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"));
    assert.match(pkg.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(Object.fromEntries(info.policies.map((p) => [p.name, p.enforcementLevel])), IMPLEMENTED);
  });

  it("gives every policy a description, severity, remediation steps and a Microsoft url", async () => {
    for (const p of (await pack().info()).policies) {
      assert.ok(p.description.length > 40, `${p.name} description`);
      assert.ok(p.severity > 0, `${p.name} severity`);
      assert.match(
        p.remediationSteps,
        /`(az|kubectl) /,
        `${p.name} remediationSteps names an az or kubectl command`,
      );
      assert.match(p.url, /^https:\/\/learn\.microsoft\.com\//, `${p.name} url`);
    }
  });

  it("uses only policy names that CAUSES.md defines", async () => {
    const causes = fs.readFileSync(path.join(REPO_ROOT, "..", "shared", "CAUSES.md"), "utf8");
    for (const p of (await pack().info()).policies) assert.ok(causes.includes("`" + p.name + "`"), p.name);
  });

  it("fails to configure a policy with config that does not fit its schema", async () => {
    await assert.rejects(
      pack().configure({ "aks-acr-pull-role": { pullRoleDefinitionIds: "not-a-list" } }),
      (e: Error) =>
        e instanceof PolicyConfigRejected && /pullRoleDefinitionIds.*not of type array/.test(e.message),
    );
    await assert.rejects(
      pack().configure({ "aks-acr-pull-role": { pullRoleDefinitionIds: ["AcrPull"] } }),
      /pullRoleDefinitionIds\[0\].*is not matching/,
    );
    await assert.rejects(pack().configure({ "no-such-policy": {} }), /no-such-policy/);
  });

  it("honours an enforcement level set in config", async () => {
    const broken = [managedCluster("aks-1"), registry("acr1")];
    await pack().configure({ "aks-acr-pull-role": { enforcementLevel: "advisory" } });
    const advisory = await pack().analyzeStack(broken);
    assert.deepEqual(
      advisory.map((d) => d.enforcementLevel),
      ["advisory"],
    );
    await pack().configure({ "aks-acr-pull-role": { enforcementLevel: "disabled" } });
    assert.deepEqual(await pack().analyzeStack(broken), []);
  });

  it("analyzes resources it has no policy for without a diagnostic or an error", async () => {
    const configMap = {
      type: "kubernetes:core/v1:ConfigMap",
      name: "settings",
      props: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: "default" },
        data: { LOG_LEVEL: "info" },
      },
    };
    const storage = {
      type: "azure-native:storage:StorageAccount",
      name: "logs",
      props: {
        name: "contosologs",
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        location: "westeurope",
      },
    };
    assert.deepEqual(await pack().analyze(configMap), []);
    assert.deepEqual(await pack().analyzeAll([configMap, storage]), []);
  });
});
