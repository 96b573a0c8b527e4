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
      "pin no OS in a cluster with Windows node pools",
      "no match for platform in manifest",
      '"kubernetes.io/os": "linux"',
    );
  });

  it("knows a Windows pool declared as a separate AgentPool", async () => {
    const pool = {
      type: "azure-native:containerservice:AgentPool",
      name: "win",
      props: { name: "win", osType: "Windows", mode: "User", count: 2 },
    };
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

  it("forgets a run's clusters when the next run starts", async () => {
    await run([mixedCluster, web]);
    await pack().configure(); // the engine configures the stack at the start of every run
    assertSilent(await run([web]));
  });

  it("with remediate, adds the Linux selector to Linux workloads of a mixed cluster", async () => {
    await pack().configure({ [POLICY]: { enforcementLevel: "remediate" } });
    await pack().analyze(mixedCluster);
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
  });
});
