// What a run sends for a stack (offline/resources.ts), as the engine does: URNs, Analyze's inputs,
// the stack and providers first, parents, a fixed shuffle, and the plain data core/ reads.
import * as assert from "node:assert/strict";
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";
import {
  engineOrder,
  engineResources,
  inputsOf,
  kubernetesInputsOf,
  parentUrnOf,
  STACK_TYPE,
  toStackResource,
  urnOf,
} from "../../offline/resources";
import { kubeletPull, managedCluster, observer, registry } from "../fixtures/azure";
import { deployment } from "../fixtures/kubernetes";

const ACR = registry("contosoacr", { resourceGroup: "rg-acr" });
const AKS = managedCluster("aks-prod");

describe("urnOf: a URN as the engine makes it", () => {
  it("names the type and the name under the stack", () => {
    assert.equal(
      urnOf(ACR),
      "urn:pulumi:test::aks-acr-guard::azure-native:containerregistry:Registry::contosoacr",
    );
  });
  it("puts a component parent's type before the child's, leaving the stack out", () => {
    const parent = observer([], "guard");
    assert.equal(
      urnOf({ ...ACR, parent }),
      "urn:pulumi:test::aks-acr-guard::aks-acr-guard:index:AksAcrObserver$azure-native:containerregistry:Registry::contosoacr",
    );
  });
});

describe("inputsOf: the checked inputs Analyze receives", () => {
  it("an azure-native resource: its outputs without what only ARM computes, with the path inputs its id holds", () => {
    const inputs = inputsOf(ACR);
    for (const k of ["id", "name", "type", "azureApiVersion"])
      assert.ok(!(k in inputs), `${k} is an output only`);
    assert.equal(inputs.resourceGroupName, "rg-acr");
    assert.equal(inputs.registryName, "contosoacr");
    assert.equal(inputs.adminUserEnabled, false);
  });
  it("no path inputs while the id is not known (a create in preview)", () => {
    const inputs = inputsOf({ ...ACR, props: { ...ACR.props, id: UNKNOWN_WIRE_VALUE } });
    assert.ok(!("registryName" in inputs));
  });
  it("a Kubernetes object: no status, only the metadata a user sets", () => {
    const d = deployment("web", { containers: [{ image: "contosoacr.azurecr.io/shop/web:1.4.2" }] });
    const inputs = kubernetesInputsOf({ ...d.props, status: { readyReplicas: 2 } });
    assert.ok(!("status" in inputs));
    assert.deepEqual(Object.keys(inputs.metadata as object).sort(), ["labels", "name", "namespace"]);
  });
  it("a component or the stack: none; given inputs win", () => {
    assert.deepEqual(inputsOf(observer([{ id: "x" }])), {});
    assert.deepEqual(inputsOf({ ...ACR, inputs: { sku: { name: "Basic" } } }), { sku: { name: "Basic" } });
  });
});

describe("engineResources: what a run sends, in the engine's order", () => {
  it("sends the stack first, then each package's default provider once, then the resources with theirs", () => {
    const sent = engineResources([ACR, AKS, kubeletPull(AKS, ACR)]);
    assert.equal(sent[0].type, STACK_TYPE);
    const providers = sent.filter((r) => r.type.startsWith("pulumi:providers:"));
    assert.deepEqual(
      providers.map((p) => p.type),
      ["pulumi:providers:azure-native"],
    );
    assert.deepEqual(
      sent.slice(2).map((r) => [r.name, r.provider && urnOf(r.provider)]),
      [ACR, AKS, kubeletPull(AKS, ACR)].map((r) => [r.name, urnOf(providers[0])]),
    );
  });
  it("gives components no provider, and every resource but the stack and default providers a parent", () => {
    const sent = engineResources([observer([])]);
    const component = sent.find((r) => r.type === "aks-acr-guard:index:AksAcrObserver")!;
    assert.equal(component.provider, undefined);
    assert.equal(parentUrnOf(component), urnOf(sent[0]));
    assert.equal(parentUrnOf(sent[0]), undefined);
  });
});

describe("engineOrder: a fixed shuffle, as AnalyzeStack's list comes in no particular order", () => {
  it("is a permutation, the same every time for the same length, and not the order given", () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const once = engineOrder(items);
    assert.deepEqual(
      [...once].sort((a, b) => a - b),
      items,
    );
    assert.deepEqual(engineOrder(items), once);
    assert.notDeepEqual(once, items);
  });
});

describe("toStackResource: the plain data core/ reads", () => {
  it("carries URNs for dependencies and property dependencies, and a copy of the props", () => {
    const pull = kubeletPull(AKS, ACR);
    const r = toStackResource(pull);
    assert.deepEqual(r.propertyDependencies, { principalId: [urnOf(AKS)], scope: [urnOf(ACR)] });
    assert.deepEqual([...r.dependencies].sort(), [urnOf(AKS), urnOf(ACR)].sort());
    r.props.scope = "changed";
    assert.notEqual(pull.props.scope, "changed");
  });
});
