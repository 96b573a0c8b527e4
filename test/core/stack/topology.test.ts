import * as assert from "node:assert/strict";
import {
  buildTopology,
  isObserved,
  linked,
  OBSERVER_TYPE,
  StackResource,
  withObserved,
} from "../../../core/stack/topology";
import { evaluatePullAccess } from "../../../core/identity/pull-access";
import { pullPairs } from "../../../core/stack/pull-pairs";
import { scopeCovers } from "../../../core/identity/grants";
import { UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import {
  kubeletPull,
  managedCluster,
  registry,
  servicePrincipal,
  userAssignedIdentity,
} from "../../fixtures/azure";
import { toStackResource, urnOf } from "../../../offline/resources";
import { withUnknown } from "../../harness/mutate";

const stackResource = toStackResource;

describe("core/topology", () => {
  const acr = registry("contosoacr");
  const aks = managedCluster("aks-prod");

  it("finds clusters, their kubelet and control-plane identities, and registries", () => {
    const topo = buildTopology([acr, aks, kubeletPull(aks, acr)].map(stackResource));
    assert.equal(topo.clusters.length, 1);
    const [c] = topo.clusters;
    assert.equal(c.label, "aks-prod");
    assert.equal(c.resourceGroup, "rg-aks");
    assert.equal(c.identity.kind, "kubelet");
    assert.equal(
      c.identity.objectId,
      (aks.props.identityProfile as { kubeletidentity: { objectId: string } }).kubeletidentity.objectId,
    );
    assert.equal(c.controlPlane.length, 1);
    assert.equal(topo.registries[0].mode, "rbac");
    assert.equal(topo.assignments[0].scopeUrns[0], urnOf(acr));
  });

  it("links a service-principal cluster to the service principal sharing its client id", () => {
    const sp = servicePrincipal("sp-aks");
    const cluster = managedCluster("aks-sp", { servicePrincipalClientId: sp.props.clientId as string });
    const topo = buildTopology([sp, cluster].map(stackResource));
    assert.equal(topo.clusters[0].identity.kind, "servicePrincipal");
    assert.equal(topo.clusters[0].identity.objectId, sp.props.objectId);
    assert.deepEqual(topo.clusters[0].identity.urns, [urnOf(sp)]);
  });

  it("takes the kubelet object id from a user-assigned identity the stack declares when the cluster's is unknown", () => {
    const uai = userAssignedIdentity("id-kubelet");
    const cluster = {
      ...managedCluster("aks-uai"),
      propertyDependencies: { identityProfile: [uai] },
    };
    (cluster.props.identityProfile as { kubeletidentity: Record<string, string> }).kubeletidentity.objectId =
      UNKNOWN_WIRE_VALUE;
    const topo = buildTopology([uai, cluster].map(stackResource));
    assert.equal(topo.clusters[0].identity.objectId, uai.props.principalId);
  });

  it("falls back to the whole dependency list when the engine sent no property dependencies", () => {
    const r = stackResource({ ...kubeletPull(aks, acr), propertyDependencies: undefined, dependsOn: [acr] });
    assert.deepEqual(linked(r, "scope"), [urnOf(acr)]);
    const withProps = stackResource(kubeletPull(aks, acr));
    assert.deepEqual(linked(withProps, "roleDefinitionId"), []);
  });

  it("decides scope coverage three ways when the scope is not known yet", () => {
    const unknownScope = stackResource(kubeletPull(aks, acr));
    unknownScope.props.scope = UNKNOWN_WIRE_VALUE;
    const other = registry("otheracr");
    const topo = buildTopology([stackResource(acr), stackResource(other), stackResource(aks), unknownScope]);
    const a = topo.assignments[0];
    assert.equal(scopeCovers(topo, a, topo.registries[0]), true, "linked to this registry");
    assert.equal(scopeCovers(topo, a, topo.registries[1]), false, "linked to another registry");
    a.scopeUrns.length = 0;
    assert.equal(scopeCovers(topo, a, topo.registries[0]), UNKNOWN, "nothing to go by");
  });

  it("pairs every cluster with every registry of the stack", () => {
    const topo = buildTopology([acr, registry("b"), aks, managedCluster("aks-2")].map(stackResource));
    assert.equal(pullPairs(topo).length, 4);
  });

  it("finds a pull role granted, missing, or pending on a small stack", () => {
    const topo = buildTopology([acr, aks, kubeletPull(aks, acr)].map(stackResource));
    assert.equal(evaluatePullAccess(topo, pullPairs(topo)[0]).status, "granted");
    const none = buildTopology([acr, aks].map(stackResource));
    assert.equal(evaluatePullAccess(none, pullPairs(none)[0]).status, "missing");
  });
});

describe("core/topology: observed records beside declared ones", () => {
  const observer = (records: Record<string, unknown>[]) =>
    stackResource({ type: "aks-acr-guard:index:AksAcrObserver", name: "obs", props: { observed: records } });
  const declared = managedCluster("aks-prod");
  const record = {
    ...(({ id, name, location }) => ({ id, name, location }))(declared.props as Record<string, string>),
    type: "Microsoft.ContainerService/managedClusters",
    identity: declared.props.identity,
    properties: {
      identityProfile: declared.props.identityProfile,
      nodeResourceGroup: "MC_rg-aks_aks-prod_westeurope",
    },
  };

  it("judges a resource the stack declares by its declaration, not by a record of it", () => {
    const topo = buildTopology([stackResource(declared), observer([record, record])]);
    assert.equal(topo.clusters.length, 1);
    assert.equal(topo.clusters[0].res.urn, urnOf(declared));
  });

  it("fills what a pending update leaves unknown from the record of the same name, and nothing more", () => {
    // GIVEN a cluster whose update preview left its id and identities unknown, its name known
    const updating = withUnknown(declared, "id", "identityProfile", "identity.principalId");
    const topo = buildTopology([stackResource(updating), observer([record])]);
    // THEN it is one existing cluster with its recorded kubelet identity
    assert.equal(topo.clusters.length, 1);
    assert.equal(topo.clusters[0].res.props["id"], declared.props.id);
    assert.deepEqual(topo.clusters[0].res.props["identityProfile"], declared.props.identityProfile);
    assert.equal(topo.clusters[0].res.props["location"], declared.props.location, "declared values kept");
  });

  it("leaves a create alone: its name is unknown too", () => {
    const creating = withUnknown(declared, "id", "name", "identityProfile");
    const topo = buildTopology([stackResource(creating), observer([record])]);
    const mine = topo.clusters.find((c) => c.res.urn === urnOf(creating))!;
    assert.equal(mine.res.props["identityProfile"], UNKNOWN_WIRE_VALUE);
    assert.equal(topo.clusters.length, 2, "the recorded cluster stays a cluster of its own");
  });
});

describe("withObserved: an observer's records join the stack, and what the stack declares wins", () => {
  const acr = registry("contosoacr");
  const acrId = String(acr.props.id);
  const record = (id: string, name: string, properties: Record<string, unknown> = {}) => ({
    id,
    name,
    type: "Microsoft.ContainerRegistry/registries",
    properties,
  });
  const observerOf = (records: unknown[], name = "observer"): StackResource =>
    toStackResource({ type: OBSERVER_TYPE, name, props: { observed: records } });
  const registriesIn = (resources: StackResource[]) =>
    resources.filter((r) => r.type === "azure-native:containerregistry:Registry");

  it("adds each record as a resource of its azure-native type, flattened, with the observer as its only dependency", () => {
    const observer = observerOf([record(acrId, "contosoacr", { loginServer: "contosoacr.azurecr.io" })]);
    const [added] = registriesIn(withObserved([observer]));
    assert.equal(added.name, "contosoacr");
    assert.equal(added.props.loginServer, "contosoacr.azurecr.io");
    assert.deepEqual(added.dependencies, [observer.urn]);
    assert.ok(isObserved(added));
  });
  it("leaves out a record of a resource the stack declares (same id, any casing): the declaration is judged", () => {
    const declared = stackResource(acr);
    const out = withObserved([declared, observerOf([record(acrId.toUpperCase(), "contosoacr")])]);
    assert.deepEqual(registriesIn(out), [declared]);
  });
  it("keeps one record of an id two observers both read", () => {
    const r = record(acrId, "contosoacr");
    const out = withObserved([observerOf([r], "one"), observerOf([r], "two")]);
    assert.equal(registriesIn(out).length, 1);
  });
  it("fills only the unknowns of a declared resource being updated (id unknown, name known) from its record", () => {
    const updating = stackResource(withUnknown(acr, "id", "loginServer"));
    const out = withObserved([
      updating,
      observerOf([
        record(acrId, "contosoacr", { loginServer: "contosoacr.azurecr.io", adminUserEnabled: true }),
      ]),
    ]);
    const [filled] = registriesIn(out);
    assert.equal(filled.urn, updating.urn, "the declaration, not a second registry");
    assert.equal(filled.props.loginServer, "contosoacr.azurecr.io");
    assert.equal(
      filled.props.adminUserEnabled,
      acr.props.adminUserEnabled,
      "what the stack declares is kept",
    );
  });
  it("skips what is not a record of a known type, and a stack without observers is returned as it is", () => {
    const out = withObserved([observerOf([null, "text", { id: "/x", type: "Microsoft.Unknown/things" }])]);
    assert.equal(out.length, 1);
    const stack = [stackResource(acr)];
    assert.deepEqual(withObserved(stack), stack);
  });
});
