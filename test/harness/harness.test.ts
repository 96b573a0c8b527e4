import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { managedCluster, registry } from "../fixtures/azure";
import { Diagnostic, POLICIES_DIR, PolicyPackClient, REPO_ROOT, usePolicyPack } from "./index";
import { PolicyConfigRejected } from "../../offline/config-schema";

// Policies of CAUSES.md this pack implements so far, with their public names and default levels.
const IMPLEMENTED: Record<string, string> = {
  "aks-acr-pull-role": "mandatory",
  "aks-acr-pull-role-unverified": "advisory",
  "aks-sp-secret-valid": "mandatory",
  "aks-sp-secret-expiring": "advisory",
  "aks-kubelet-identity-on-vmss": "mandatory",
  "k8s-acr-pull-secret-valid": "mandatory",
  "k8s-acr-pull-secret-valid-unverified": "advisory",
  "k8s-acr-image-reference": "mandatory",
  "k8s-acr-image-reference-unverified": "advisory",
  "k8s-acr-registry-known": "advisory",
  "k8s-image-tag-pinned": "advisory",
  "acr-private-dns-link": "mandatory",
  "acr-private-dns-link-unverified": "advisory",
  "acr-firewall-aks-egress": "mandatory",
  "acr-firewall-aks-egress-unverified": "advisory",
  "aks-acr-vnet-peering": "mandatory",
  "aks-acr-vnet-peering-unverified": "advisory",
  "aks-acr-hub-firewall": "mandatory",
  "aks-acr-hub-firewall-unverified": "advisory",
  "k8s-workload-os-selector": "mandatory",
  "aks-subnet-nsg-acr": "advisory",
  "k8s-image-architecture": "mandatory",
  "k8s-workload-arch-selector": "advisory",
  "k8s-image-pull-qps": "advisory",
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

  it("uses only policy names that CAUSES.md defines, or their advisory <name>-unverified halves", async () => {
    const causes = fs.readFileSync(path.join(REPO_ROOT, "..", "shared", "CAUSES.md"), "utf8");
    for (const p of (await pack().info()).policies) {
      const defined = p.name.replace(/-unverified$/, "");
      assert.ok(causes.includes("`" + defined + "`"), p.name);
      if (defined !== p.name)
        assert.equal(p.enforcementLevel, "advisory", `${p.name} is advisory by default`);
    }
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

/** What the echo pack (test/fixtures/echo-pack) was handed, per policy. */
interface Echoed {
  type: string;
  urn: string;
  props: Record<string, unknown>;
  parent?: string;
  provider?: string | { urn: string; props: Record<string, unknown> };
  dependencies?: string[];
}

describe("what the harness sends, as the engine sends it (an echo pack reports what it got)", () => {
  let echo: PolicyPackClient;
  before(async function () {
    this.timeout(60_000);
    echo = await PolicyPackClient.start(path.join(REPO_ROOT, "test", "fixtures", "echo-pack"));
    await echo.configure();
  });
  after(async () => echo?.stop());

  const acr = registry("contosoacr");
  const aks = managedCluster("aks-prod");
  const web = {
    type: "kubernetes:apps/v1:Deployment",
    name: "apps/web",
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "apps", uid: "4f1c", resourceVersion: "17" },
      spec: { template: { spec: { containers: [{ name: "web", image: "contosoacr.azurecr.io/web:1.0" }] } } },
      status: { readyReplicas: 1 },
    },
  };
  const echoed = (ds: Diagnostic[], policy: string) =>
    ds
      .filter((d) => d.policyName === policy)
      .map((d) => JSON.parse(d.message.split("\n").slice(1).join("\n")));

  it("Analyze: the stack and the default providers first, then each resource's inputs (no id, path inputs, no status)", async () => {
    const got = echoed(await echo.analyzeEach([acr, aks, web]), "echo-analyze") as Echoed[];
    assert.deepEqual(
      got.map((r) => r.type),
      [
        "pulumi:pulumi:Stack",
        "pulumi:providers:azure-native",
        "pulumi:providers:kubernetes",
        acr.type,
        aks.type,
        web.type,
      ],
    );
    const [stack, , , registryIn, , deployment] = got;
    assert.deepEqual(stack.props, {});
    assert.equal(stack.parent, undefined);
    assert.equal(registryIn.props.id, undefined, "an id is an output");
    assert.equal(registryIn.props.resourceGroupName, String(acr.props.id).split("/")[4]);
    assert.equal(registryIn.props.registryName, "contosoacr");
    assert.equal(registryIn.parent, stack.urn);
    assert.match((registryIn.provider as { urn: string }).urn, /::pulumi:providers:azure-native::default_/);
    assert.equal(deployment.props.status, undefined, "status is what the cluster reports");
    assert.deepEqual(deployment.props.metadata, { name: "web", namespace: "apps" });
  });

  it("AnalyzeStack: outputs, the stack and providers among them, parents and providers set, in no given order", async () => {
    const [got] = echoed(
      await echo.analyzeStack([acr, aks, web], { declared: [] }),
      "echo-stack",
    ) as Echoed[][];
    const byType = (t: string) => got.filter((r) => r.type === t);
    const [stack] = byType("pulumi:pulumi:Stack");
    assert.deepEqual(stack.props, { declared: [] }, "the stack's outputs are the program's exports");
    assert.equal(stack.parent, undefined);
    for (const p of [...byType("pulumi:providers:azure-native"), ...byType("pulumi:providers:kubernetes")])
      assert.equal(p.parent, undefined, "default providers have no parent");
    const [registryOut] = byType(acr.type);
    assert.equal(registryOut.props.id, acr.props.id, "an id is an output");
    assert.equal(registryOut.parent, stack.urn);
    assert.match(registryOut.provider as string, /::pulumi:providers:azure-native::default_/);
    assert.deepEqual(byType(web.type)[0].props.status, { readyReplicas: 1 });
    const given = [acr, aks, web].map((r) => r.type);
    assert.notDeepEqual(
      got.map((r) => r.type).filter((t) => given.includes(t)),
      given,
      "the engine's list comes in no particular order: the harness does not keep the given one",
    );
  });
});
