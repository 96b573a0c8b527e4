/**
 * A first deploy under the real engine: a program that creates a cluster and a registry and, through
 * a Kubernetes provider made from the new cluster's kubeconfig, a Deployment. During that preview
 * the provider's config is unknown, so the engine records empty outputs for the Deployment; the
 * pack must still read its image from what Analyze was given.
 */
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { azureConfig, engineStack, preview, up, useEngineContext } from "./engine";

const SUB = SUBSCRIPTION;

/**
 * The program a team writes for a new cluster, its registry, the pull role and one workload: the
 * pull role declared by hand (AcrPullAccess), or by AksAcrIntegration given the cluster itself.
 */
function program(image: string, wiring: "AcrPullAccess" | "AksAcrIntegration" = "AcrPullAccess") {
  return async () => {
    const { ManagedCluster, listManagedClusterUserCredentialsOutput } =
      await import("@pulumi/azure-native/containerservice");
    const { Registry } = await import("@pulumi/azure-native/containerregistry");
    const k8s = await import("@pulumi/kubernetes");
    const { AcrPullAccess, AksAcrIntegration } = await import("../../components");
    const cluster = new ManagedCluster("aks-new", {
      resourceGroupName: "rg-aks",
      resourceName: "aks-new",
      location: "westeurope",
      dnsPrefix: "aks-new",
      identity: { type: "SystemAssigned" },
      agentPoolProfiles: [
        { name: "system", count: 1, vmSize: "Standard_D4ds_v5", mode: "System", osType: "Linux" },
      ],
    });
    const registry = new Registry("contosoacr", {
      resourceGroupName: "rg-acr",
      registryName: "contosoacr",
      location: "westeurope",
      sku: { name: "Premium" },
    });
    const outputs: Record<string, unknown> = {};
    if (wiring === "AcrPullAccess") {
      new AcrPullAccess("aks-new", {
        registryId: registry.id,
        principalId: cluster.identityProfile.apply((p) => p?.["kubeletidentity"]?.objectId ?? ""),
      });
    } else {
      const integration = new AksAcrIntegration("aks-new", { cluster, registryId: registry.id });
      outputs.declared = integration.summary.declared;
      outputs.commands = integration.summary.commands;
    }
    const kubeconfig = listManagedClusterUserCredentialsOutput({
      resourceGroupName: "rg-aks",
      resourceName: cluster.name,
    }).apply((c) => Buffer.from(c.kubeconfigs[0].value, "base64").toString("utf8"));
    const provider = new k8s.Provider("aks-new", { kubeconfig: pulumi.secret(kubeconfig) });
    new k8s.apps.v1.Deployment(
      "web",
      {
        metadata: { name: "web", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { nodeSelector: { "kubernetes.io/os": "linux" }, containers: [{ name: "web", image }] },
          },
        },
      },
      { provider },
    );
    return outputs;
  };
}

describe("a first deploy under the real engine", function () {
  this.timeout(300_000);
  const ctx = useEngineContext({ each: true });

  it("reports a misspelt registry domain before the cluster exists", async () => {
    const stack: Stack = await engineStack(
      ctx,
      "first-broken",
      program("contosoacr.azureacr.io/shop/web:1.4.2"),
      azureConfig(ctx, SUB),
    );
    const r = await preview(ctx, stack, { policyPack: true });
    const found = r.findings.filter((f) => f.policy === "k8s-acr-image-reference");
    assert.equal(found.length, 1, JSON.stringify(r.findings, null, 1));
    assert.equal(found[0].level, "mandatory");
    assert.equal(found[0].resource, "web");
    assert.match(found[0].message, /contosoacr\.azureacr\.io/);
    assert.match(found[0].message, /azurecr\.io/);
    assert.equal(r.ok, false, "the mandatory finding fails the preview");
  });

  it("passes a healthy first deploy, deploys it, and finds nothing once it exists", async () => {
    const stack = await engineStack(
      ctx,
      "first-healthy",
      program("contosoacr.azurecr.io/shop/web:1.4.2"),
      azureConfig(ctx, SUB),
    );
    const first = await preview(ctx, stack, { policyPack: true });
    assert.deepEqual(
      first.findings.filter((f) => f.level === "mandatory"),
      [],
    );
    assert.ok(first.ok, first.error);
    const deployed = await up(ctx, stack, { policyPack: true });
    assert.ok(deployed.ok, deployed.error);
    assert.deepEqual(
      deployed.findings.filter((f) => f.level === "mandatory"),
      [],
    );
    const again = await preview(ctx, stack, { policyPack: true });
    assert.deepEqual(again.findings, [], "once the cluster exists nothing is left undecided");
    assert.ok(again.ok, again.error);
    assert.deepEqual(ctx.azure.refused, []);
  });

  it("previews the planned pull role of a cluster AksAcrIntegration is given in the same stack, deploys it, and then changes nothing", async () => {
    // GIVEN a stack that creates a cluster and a registry, wired by AksAcrIntegration given the cluster
    const stack = await engineStack(
      ctx,
      "first-integration",
      program("contosoacr.azurecr.io/shop/web:1.4.2", "AksAcrIntegration"),
      azureConfig(ctx, SUB),
    );
    // WHEN it is previewed, before the cluster exists
    const first = await preview(ctx, stack, { policyPack: true });
    assert.ok(first.ok, first.error);
    // THEN the preview shows the planned fix: the integration's AcrPullAccess and its role assignment
    const creates = first.steps.filter((s) => s.op === "create").map((s) => `${s.type} ${s.name}`);
    for (const planned of [
      "aks-acr-guard:index:AksAcrIntegration aks-new",
      "aks-acr-guard:index:AcrPullAccess aks-new-pull",
      "azure-native:authorization:RoleAssignment aks-new-pull-acrpull",
    ])
      assert.ok(creates.includes(planned), `${planned} is planned; planned: ${creates.join(", ")}`);
    // AND the pack finds the pull wired: no mandatory finding
    assert.deepEqual(
      first.findings.filter((f) => f.level === "mandatory"),
      [],
    );
    // WHEN it is deployed
    const deployed = await up(ctx, stack, { policyPack: true });
    assert.ok(deployed.ok, deployed.error);
    // THEN the role assignment exists, for the created cluster's kubelet identity, and the summary lists it once
    assert.deepEqual(deployed.outputs.declared, ["AcrPullAccess aks-new-pull"]);
    assert.deepEqual(deployed.outputs.commands, []);
    const assignments = [...ctx.azure.resources.values()].filter(
      (r) => r.type.toLowerCase() === "microsoft.authorization/roleassignments",
    );
    assert.equal(assignments.length, 1, JSON.stringify(assignments, null, 1));
    const created = [...ctx.azure.resources.values()].find(
      (r) => r.type.toLowerCase() === "microsoft.containerservice/managedclusters",
    );
    const kubelet = (created?.properties?.identityProfile as { kubeletidentity?: { objectId?: string } })
      ?.kubeletidentity?.objectId;
    assert.ok(kubelet);
    assert.equal(assignments[0].properties?.principalId, kubelet);
    // AND a second preview changes nothing and finds nothing
    const again = await preview(ctx, stack, { policyPack: true });
    assert.ok(again.ok, again.error);
    assert.deepEqual(
      again.steps.filter((s) => s.op !== "same"),
      [],
    );
    assert.deepEqual(again.findings, []);
    assert.deepEqual(ctx.azure.refused, []);
  });
});
