// The pieces of the `az` commands a message offers (core/plan/remediation.ts): what the stack
// knows, or a placeholder in angle brackets where it does not.
import * as assert from "node:assert/strict";
import { clusterArgs, loginServerOf, registryRef, registryScope, show } from "../../../core/plan/remediation";
import { buildTopology } from "../../../core/stack/topology";
import { UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import { PolicyResourceInput, toStackResource } from "../../../offline/resources";
import { armId, managedCluster, registry } from "../../fixtures/azure";

const REGISTRY_ID = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");
const deployed = registry("contosoacr", { resourceGroup: "rg-acr" });
/** A registry in its first preview: id, login server and the rest not known yet. */
const created: PolicyResourceInput = {
  ...deployed,
  props: { ...deployed.props, id: UNKNOWN_WIRE_VALUE, loginServer: UNKNOWN_WIRE_VALUE },
};
const nodesOf = (...stack: PolicyResourceInput[]) => buildTopology(stack.map(toStackResource));

describe("show: a value the stack knows, else a placeholder", () => {
  const cases: [string, unknown, string][] = [
    ["a known value", "rg-acr", "rg-acr"],
    ["not known yet", UNKNOWN, "<rg>"],
    ["absent", undefined, "<rg>"],
    ["empty", "", "<rg>"],
  ];
  for (const [behaviour, v, out] of cases) it(behaviour, () => assert.equal(show(v as string, "<rg>"), out));
});

describe("the registry's and cluster's arguments", () => {
  it("a deployed registry: its ARM id as reference and scope, its login server", () => {
    const [r] = nodesOf(deployed).registries;
    assert.equal(registryRef(r), REGISTRY_ID);
    assert.equal(registryScope(r), REGISTRY_ID);
    assert.equal(loginServerOf(r), "contosoacr.azurecr.io");
  });
  it("a registry not created yet: a scope az resolves, and the login server its name gives", () => {
    // Analyze's inputs hold its resource group; a preview's outputs do not (path inputs are not outputs).
    const inputs = nodesOf({ ...created, props: { ...created.props, resourceGroupName: "rg-acr" } })
      .registries[0];
    assert.equal(registryScope(inputs), "$(az acr show -g rg-acr -n contosoacr --query id -o tsv)");
    assert.equal(loginServerOf(inputs), "contosoacr.azurecr.io");
    const outputs = nodesOf(created).registries[0];
    assert.equal(
      registryScope(outputs),
      "$(az acr show -g <registry-resource-group> -n contosoacr --query id -o tsv)",
    );
  });
  it("a cluster: its resource group and name", () => {
    const [c] = nodesOf(managedCluster("aks-prod")).clusters;
    assert.equal(clusterArgs(c), "-g rg-aks -n aks-prod");
  });
});
