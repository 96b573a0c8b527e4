import * as assert from "node:assert/strict";
import { managedCluster } from "../fixtures/azure";
import { deployment, workload } from "../fixtures/kubernetes";
import { assertSilent, assertViolation, setPath, usePolicy, withProps } from "../harness";

const POLICY = "k8s-workload-os-selector";

describe(POLICY, () => {
  const { pack, run } = usePolicy(POLICY);

  const linuxOnly = managedCluster("aks-prod");
  const mixedCluster = withProps(managedCluster("aks-mixed"), (p) => {
    (p.agentPoolProfiles as Record<string, unknown>[]).push({
      name: "win",
      mode: "User",
      osType: "Windows",
      osSKU: "Windows2022",
      vmSize: "Standard_D4ds_v5",
      count: 2,
    });
  });
  /** A Windows AgentPool of aks-prod: the inputs Analyze gets name its cluster (`resourceName`), as azure-native requires. */
  const windowsPool = () => ({
    type: "azure-native:containerservice:AgentPool",
    name: "win",
    props: {
      name: "win",
      resourceGroupName: "rg-aks",
      resourceName: "aks-prod",
      osType: "Windows",
      mode: "User",
      count: 2,
    },
  });
  const web = deployment("web", { containers: [{ name: "web", image: "contosoacr.azurecr.io/web:1.4.2" }] });
  const pinned = (os: string) =>
    deployment("web", {
      containers: [{ name: "web", image: "contosoacr.azurecr.io/web:1.4.2" }],
      nodeSelector: { "kubernetes.io/os": os },
    });

  it("is silent for unpinned Linux workloads in a Linux-only cluster", async () => {
    assertSilent(await run([linuxOnly, web]));
  });

  it("reports an unpinned workload in a cluster with Windows node pools", async () => {
    assertViolation(
      await run([mixedCluster, web]),
      "mandatory",
      web,
      "pin no OS in cluster 'aks-mixed', which has Windows node pools",
      "no match for platform in manifest",
      '"kubernetes.io/os": "linux"',
    );
  });

  it("knows a Windows pool declared as a separate AgentPool", async () => {
    const pool = windowsPool();
    assertViolation(await run([linuxOnly, pool, web]), "mandatory", web, "Windows node pools");
  });

  it("accepts every way to pin the OS", async () => {
    const viaOs = withProps(web, (p) => setPath(p, "spec.template.spec.os", { name: "linux" }));
    const viaAffinity = withProps(web, (p) =>
      setPath(p, "spec.template.spec.affinity", {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] },
            ],
          },
        },
      }),
    );
    assertSilent(await run([mixedCluster, pinned("linux"), viaOs, viaAffinity]));
  });

  it("reports a Windows-only image that is not pinned to Windows, in any cluster", async () => {
    const iis = workload("Deployment", "iis", {
      containers: [
        { name: "iis", image: "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022" },
      ],
      nodeSelector: { "kubernetes.io/os": "linux" },
    });
    assertViolation(
      await run([linuxOnly, iis]),
      "mandatory",
      iis,
      "Windows-only image",
      "pin linux through nodeSelector",
      '"kubernetes.io/os": "windows"',
    );
    const ok = withProps(iis, (p) =>
      setPath(p, "spec.template.spec.nodeSelector", { "kubernetes.io/os": "windows" }),
    );
    assertSilent(await run([mixedCluster, ok]));
  });

  it("takes windowsNodePools from config for a cluster outside the stack", async () => {
    assertViolation(await run([web], { windowsNodePools: true }), "mandatory", web, "Windows node pools");
  });

  describe("two clusters in one stack: each workload is judged by its own cluster's pools", () => {
    /** A Kubernetes provider made from a cluster's kubeconfig, as a program declares it. */
    const providerOf = (cluster: typeof linuxOnly) => ({
      type: "pulumi:providers:kubernetes",
      name: `${cluster.name}-k8s`,
      props: {
        kubeconfig:
          "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: " +
          `https://${String(cluster.props.fqdn)}:443\n  name: ${cluster.name}\ncurrent-context: ${cluster.name}\n`,
      },
      propertyDependencies: { kubeconfig: [cluster] },
    });
    const on = (cluster: typeof linuxOnly, name: string) => ({
      ...deployment(name, { containers: [{ name, image: "contosoacr.azurecr.io/web:1.4.2" }] }),
      provider: providerOf(cluster),
    });

    it("is silent for a workload of the Linux-only cluster, though another cluster has Windows pools", async () => {
      const w = on(linuxOnly, "web");
      assertSilent(await run([mixedCluster, linuxOnly, providerOf(mixedCluster), providerOf(linuxOnly), w]));
    });

    it("reports a workload of the mixed cluster", async () => {
      const w = on(mixedCluster, "web");
      assertViolation(
        await run([mixedCluster, linuxOnly, providerOf(mixedCluster), providerOf(linuxOnly), w]),
        "mandatory",
        w,
        "Windows node pools",
      );
    });

    it("links a provider whose kubeconfig names the cluster's API server, though not computed from it", async () => {
      const written = { ...providerOf(mixedCluster), propertyDependencies: {} };
      const w = {
        ...deployment("web", { containers: [{ name: "web", image: "contosoacr.azurecr.io/web:1.4.2" }] }),
        provider: written,
      };
      assertViolation(
        await run([linuxOnly, mixedCluster, written, w]),
        "mandatory",
        w,
        "cluster 'aks-mixed'",
      );
      const toLinux = { ...providerOf(linuxOnly), propertyDependencies: {} };
      assertSilent(await run([linuxOnly, mixedCluster, toLinux, { ...w, provider: toLinux }]));
    });

    it("judges a pool of the workload's own cluster declared as an AgentPool", async () => {
      const pool = { ...windowsPool(), propertyDependencies: { resourceName: [linuxOnly] } };
      const w = on(linuxOnly, "web");
      assertViolation(
        await run([linuxOnly, pool, mixedCluster, providerOf(linuxOnly), w]),
        "mandatory",
        w,
        "cluster 'aks-prod', which has Windows node pools",
      );
    });

    it("says nothing mandatory for a workload whose cluster it cannot tell, when the clusters differ", async () => {
      assertSilent(await run([mixedCluster, linuxOnly, web]));
    });
  });

  it("keeps nothing between calls: a cluster of an earlier run reaches no later one", async () => {
    await run([mixedCluster, web]);
    assertSilent(await run([web]));
  });

  it("with remediate, adds the Linux selector to workloads that pin no OS, without needing their cluster", async () => {
    // GIVEN remediate, and the workload handed alone (the engine remediates before it knows the stack)
    await pack().configure({ [POLICY]: { enforcementLevel: "remediate" } });
    const [fix] = await pack().remediate(web);
    assert.equal(fix.policyName, POLICY);
    assert.deepEqual(
      (fix.properties as { spec: { template: { spec: { nodeSelector: unknown } } } }).spec.template.spec
        .nodeSelector,
      { "kubernetes.io/os": "linux" },
    );
    assert.deepEqual(await pack().remediate(pinned("linux")), [], "a pinned workload is left alone");
    const iis = workload("Deployment", "iis", {
      containers: [{ image: "mcr.microsoft.com/windows/nanoserver:ltsc2022" }],
    });
    assert.deepEqual(await pack().remediate(iis), [], "a Windows image gets no Linux selector");
    // AND config that says the cluster has no Windows pools stops it
    await pack().configure({ [POLICY]: { enforcementLevel: "remediate", windowsNodePools: false } });
    assert.deepEqual(await pack().remediate(web), [], "windowsNodePools: false");
  });
});
