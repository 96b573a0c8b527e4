// Which cluster pulls from which registry (core/stack/pull-pairs.ts): config first, then the
// evidence the stack shows (workload images, role assignments), then the guesses, never certain.
import * as assert from "node:assert/strict";
import { certainPullPairs, PullPair, pullPairs, serverHost } from "../../../core/stack/pull-pairs";
import { buildTopology } from "../../../core/stack/topology";
import { PolicyResourceInput, toStackResource } from "../../../offline/resources";
import { kubeletPull, managedCluster, registry } from "../../fixtures/azure";
import { deployment } from "../../fixtures/kubernetes";

const AKS_A = managedCluster("aks-a");
const AKS_B = managedCluster("aks-b");
const ACR_A = registry("acra");
const ACR_B = registry("acrb");
const webOn = (acr: string) =>
  deployment("web", { containers: [{ image: `${acr}.azurecr.io/shop/web:1.4.2` }] });

/** The pairs as `cluster -> registry (evidence, certain|guess)`, in the stack's order. */
const pairsOf = (stack: PolicyResourceInput[], declared?: { cluster: string; registry: string }[]) =>
  pullPairs(buildTopology(stack.map(toStackResource)), declared).map(show);
const show = (p: PullPair) =>
  `${p.cluster.label} -> ${p.registry.label} (${p.evidence}, ${p.certain ? "certain" : "guess"})`;

describe("pullPairs: which cluster pulls from which registry", () => {
  const cases: [string, PolicyResourceInput[], string[]][] = [
    [
      "a stack of one cluster and one registry: that pair, certain",
      [AKS_A, ACR_A],
      ["aks-a -> acra (the stack's only cluster and registry, certain)"],
    ],
    [
      "a role assignment names the pair, certain; a cluster with no evidence guesses every registry",
      [AKS_A, AKS_B, ACR_A, ACR_B, kubeletPull(AKS_A, ACR_A)],
      [
        "aks-a -> acra (role assignment, certain)",
        "aks-b -> acra (no other evidence, guess)",
        "aks-b -> acrb (no other evidence, guess)",
      ],
    ],
    [
      "a workload on the only cluster names its registry by the image's host, certain, and no other",
      [AKS_A, ACR_A, ACR_B, webOn("acrb")],
      ["aks-a -> acrb (workload, certain)"],
    ],
    [
      "a workload whose cluster the stack cannot tell makes its registry a guess for each cluster",
      [AKS_A, AKS_B, ACR_A, ACR_B, webOn("acrb")],
      ["aks-a -> acrb (workload, guess)", "aks-b -> acrb (workload, guess)"],
    ],
    [
      "an image of a registry outside the stack makes no pair with the stack's registries",
      [AKS_A, ACR_A, ACR_B, webOn("elsewhere")],
      [],
    ],
  ];
  for (const [behaviour, stack, expected] of cases) {
    it(behaviour, () => assert.deepEqual(pairsOf(stack), expected));
  }

  it("takes config's pairs exactly, by name, whatever the stack suggests", () => {
    const stack = [AKS_A, AKS_B, ACR_A, ACR_B, kubeletPull(AKS_A, ACR_A)];
    assert.deepEqual(pairsOf(stack, [{ cluster: "aks-b", registry: "ACRB" }]), [
      "aks-b -> acrb (config, certain)",
    ]);
  });

  it("gives mandatory checks only the certain pairs (certainPullPairs)", () => {
    const topo = buildTopology([AKS_A, AKS_B, ACR_A, ACR_B, kubeletPull(AKS_A, ACR_A)].map(toStackResource));
    assert.deepEqual(certainPullPairs(topo).map(show), ["aks-a -> acra (role assignment, certain)"]);
  });
});

describe("serverHost: the API server a written-out kubeconfig names", () => {
  const cases: [string, unknown, string | undefined][] = [
    [
      "a server URL with its port",
      "server: https://aks-a-4f9c2d1e.hcp.westeurope.azmk8s.io:443\n",
      "aks-a-4f9c2d1e.hcp.westeurope.azmk8s.io",
    ],
    [
      "a quoted URL, lower-cased",
      'server: "https://AKS-A.hcp.westeurope.azmk8s.io"',
      "aks-a.hcp.westeurope.azmk8s.io",
    ],
    ["a kubeconfig naming no server", "apiVersion: v1\nkind: Config\n", undefined],
    ["a value that is not text (not known yet)", { unknown: true }, undefined],
  ];
  for (const [behaviour, kubeconfig, host] of cases) {
    it(behaviour, () => assert.equal(serverHost(kubeconfig), host));
  }
});
