// The article's newer causes: an image built for another CPU architecture than the node's
// (cause 1b), and the kubelet's pull QPS (cause 6).
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import { vmSizeArch } from "../../core/platform/arch";
import { managedCluster, observer } from "../fixtures/azure";
import { deployment, workload } from "../fixtures/kubernetes";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  PolicyResourceInput,
  setPath,
  usePolicyPack,
  withProps,
  withUnknown,
} from "../harness";

const IMAGE = "contosoacr.azurecr.io/shop/web:1.4.2";
const REGISTRY_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr`;

/** What the observer read of an image's manifest. */
const platforms = (image: string, list: string[]) => ({
  id: `${REGISTRY_ID}/imagePlatforms/${encodeURIComponent(image.split("/").slice(1).join("/"))}`,
  name: image.split("/").slice(1).join("/"),
  type: "Microsoft.ContainerRegistry/registries/imagePlatforms",
  properties: { image, platforms: list },
});

/** A cluster with the given extra pool (name, VM size). */
const clusterWith = (name: string, extra?: [string, string]) =>
  withProps(managedCluster(name), (p) => {
    if (extra)
      (p.agentPoolProfiles as Record<string, unknown>[]).push({
        name: extra[0],
        mode: "User",
        osType: "Linux",
        vmSize: extra[1],
        count: 2,
      });
  });

describe("CPU architectures and pull QPS", () => {
  const { run } = usePolicyPack();

  it("reads a pool's architecture from its VM size", () => {
    for (const arm of [
      "Standard_D4ps_v5",
      "Standard_D8pds_v5",
      "Standard_D2pls_v5",
      "Standard_E16ps_v5",
      "Standard_B2pls_v2",
      "standard_d4ps_v6",
    ])
      assert.equal(vmSizeArch(arm), "arm64", arm);
    for (const x86 of [
      "Standard_D4ds_v5",
      "Standard_DS2_v2",
      "Standard_D4as_v5",
      "Standard_NC4as_T4_v3",
      "Standard_M128ms",
      "Standard_E4-2ds_v5",
    ])
      assert.equal(vmSizeArch(x86), "amd64", x86);
  });

  describe("k8s-image-architecture", () => {
    const P = "k8s-image-architecture";
    const mixed = clusterWith("aks-prod", ["arm", "Standard_D4ps_v5"]);
    const web = deployment("web", { containers: [{ image: IMAGE }] });

    it("reports an amd64-only image a workload can land with on an arm64 pool, naming the pool and the fix", async () => {
      assertViolation(
        await run(P, [mixed, web, observer([platforms(IMAGE, ["linux/amd64"])])]),
        "mandatory",
        web,
        "node pool 'arm' (Standard_D4ps_v5, arm64) of cluster 'aks-prod'",
        "no match for platform in manifest",
        `image "${IMAGE}" offers only linux/amd64`,
        "docker buildx build --platform linux/amd64,linux/arm64",
        '"kubernetes.io/arch": "amd64"',
      );
    });

    it("is silent when the image offers both, or the workload pins an architecture it offers", async () => {
      assertSilent(
        await run(P, [mixed, web, observer([platforms(IMAGE, ["linux/amd64", "linux/arm64/v8"])])]),
      );
      const pinned = withProps(web, (p) =>
        setPath(p, "spec.template.spec.nodeSelector", { "kubernetes.io/arch": "amd64" }),
      );
      assertSilent(await run(P, [mixed, pinned, observer([platforms(IMAGE, ["linux/amd64"])])]));
    });

    it("reports a pin to an architecture the image lacks, even in a single-architecture cluster", async () => {
      const armOnly = withProps(managedCluster("aks-arm"), (p) => {
        (p.agentPoolProfiles as Record<string, unknown>[])[0].vmSize = "Standard_D4ps_v5";
      });
      assertViolation(
        await run(P, [armOnly, web, observer([platforms(IMAGE, ["linux/amd64"])])]),
        "mandatory",
        web,
        "'system' (Standard_D4ps_v5, arm64)",
      );
    });

    it("judges nothing without the image's platforms, and waits while a pool's size is not known", async () => {
      assertSilent(await run(P, [mixed, web]));
      assertNoMandatory(
        await run(P, [
          withUnknown(mixed, "agentPoolProfiles.1.vmSize"),
          web,
          observer([platforms(IMAGE, ["linux/amd64"])]),
        ]),
      );
    });

    it("matches the image by digest when the reference pins one", async () => {
      const digest = "sha256:" + "4f".repeat(32);
      const byDigest = deployment("web", {
        containers: [{ image: `contosoacr.azurecr.io/shop/web@${digest}` }],
      });
      const record = { ...platforms(IMAGE, ["linux/amd64"]) };
      record.properties = { ...record.properties, digest } as typeof record.properties;
      assertViolation(
        await run(P, [mixed, byDigest, observer([record])]),
        "mandatory",
        byDigest,
        "offers only linux/amd64",
      );
    });
  });

  describe("k8s-workload-arch-selector", () => {
    const P = "k8s-workload-arch-selector";
    const web = deployment("web", { containers: [{ image: IMAGE }] });

    it("asks a workload in a cluster of both architectures to pin one, when its image's platforms are not known", async () => {
      assertViolation(
        await run(P, [clusterWith("aks-prod", ["arm", "Standard_D4ps_v5"]), web]),
        "advisory",
        web,
        "pin no CPU architecture in cluster 'aks-prod'",
        "'arm' (Standard_D4ps_v5, arm64)",
        "Its platforms are not known here",
        "AksAcrObserver's 'images'",
      );
    });

    it("is silent in a single-architecture cluster, for a pinned workload, and where the platforms are known", async () => {
      assertSilent(await run(P, [clusterWith("aks-prod"), web]));
      const mixed = clusterWith("aks-prod", ["arm", "Standard_D4ps_v5"]);
      const pinned = withProps(web, (p) =>
        setPath(p, "spec.template.spec.nodeSelector", { "kubernetes.io/arch": "arm64" }),
      );
      assertSilent(await run(P, [mixed, pinned]));
      assertSilent(await run(P, [mixed, web, observer([platforms(IMAGE, ["linux/amd64", "linux/arm64"])])]));
    });
  });

  describe("k8s-image-pull-qps", () => {
    const P = "k8s-image-pull-qps";
    const latest = (replicas: number, policy?: string): PolicyResourceInput =>
      withProps(
        deployment("web", { containers: [{ image: "contosoacr.azurecr.io/shop/web:latest" }] }),
        (p) => {
          setPath(p, "spec.replicas", replicas);
          const c = (p.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template
            .spec.containers[0];
          if (policy) c.imagePullPolicy = policy;
          else delete c.imagePullPolicy;
        },
      );

    it("reports a workload that pulls on every start with more pulls at once than maxAlwaysPulls", async () => {
      assertViolation(
        await run(P, [latest(20)]),
        "advisory",
        latest(20),
        'ErrImagePull: "pull QPS exceeded"',
        "20 pods start at once (replicas 20)",
        "imagePullPolicy: IfNotPresent",
      );
      // AND an image with no tag pulls on every start too, as does an explicit Always on a pinned tag
      const untagged = withProps(latest(20), (p) =>
        setPath(p, "spec.template.spec.containers.0.image", "contosoacr.azurecr.io/shop/web"),
      );
      assertViolation(await run(P, [untagged]), "advisory", untagged, "20 pulls at once");
      const always = withProps(latest(20, "Always"), (p) =>
        setPath(p, "spec.template.spec.containers.0.image", IMAGE),
      );
      assertViolation(await run(P, [always]), "advisory", always, "20 pulls at once");
    });

    it("is silent under the limit, with IfNotPresent, and with a limit raised by config", async () => {
      assertSilent(await run(P, [latest(5)]));
      assertSilent(await run(P, [latest(20, "IfNotPresent")]));
      assertSilent(await run(P, [latest(20)], { maxAlwaysPulls: 50 }));
    });

    it("counts a Job's parallelism and names a CronJob that runs every minute", async () => {
      const cron = withProps(
        workload("CronJob", "sync", { containers: [{ image: "contosoacr.azurecr.io/sync:1.0" }] }),
        (p) => {
          setPath(p, "spec.schedule", "* * * * *");
          setPath(p, "spec.jobTemplate.spec.parallelism", 12);
          (
            p.spec as {
              jobTemplate: { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
            }
          ).jobTemplate.spec.template.spec.containers[0].imagePullPolicy = "Always";
        },
      );
      assertViolation(
        await run(P, [cron]),
        "advisory",
        cron,
        "(parallelism 12)",
        'again every minute (schedule "* * * * *")',
      );
    });

    it("fails to configure a maxAlwaysPulls that is not a positive integer", async () => {
      await assert.rejects(run(P, [latest(20)], { maxAlwaysPulls: 0 }));
    });
  });
});
