// A recording that misses part of a landing zone (a hub in a subscription the capture could not
// read): what it does not show is never a mandatory failure; what it shows of the rest still is.
import { SUBSCRIPTION } from "../fixtures/arm";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { diagnoseWorld } from "../../offline/preview";
import { World } from "../../offline/world";
import { REPO_ROOT, usePolicyPack } from "../harness";

type Rec = World["resources"][number];

function scenario(name: string): World {
  const w = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "scenarios", name, "world.json"), "utf8"));
  return {
    file: name,
    resources: w.resources,
    kubernetes: w.kubernetes ?? [],
    config: w.config,
    policyConfig: {},
  };
}

const vnetNamed = (w: World, name: string) =>
  w.resources.find(
    (r) => r.type.toLowerCase() === "microsoft.network/virtualnetworks" && r.name === name,
  ) as Rec & {
    properties: { virtualNetworkPeerings: { properties: { peeringState: string } }[] };
  };

describe("a recording that misses part of a landing zone", () => {
  const { pack } = usePolicyPack();
  const findings = async (w: World) =>
    (await diagnoseWorld(w, pack())).before.map((d) => `${d.enforcementLevel} ${d.policyName}`).sort();

  it("takes a spoke's Connected peering as proof of the hub's side it did not record", async () => {
    // GIVEN a healthy hub-and-spoke recorded without the hub VNet
    const w = scenario("healthy-hub-spoke");
    assert.deepEqual(await findings(w), []);
    w.resources = w.resources.filter((r) => r.name !== "vnet-hub");
    // THEN no finding: Azure shows the spoke's side Connected only while the hub's side exists
    assert.deepEqual(await findings(w), []);
  });

  it("still fails the pull for certain where the spoke's side is Initiated (Azure: the other side is missing)", async () => {
    const w = scenario("healthy-hub-spoke");
    w.resources = w.resources.filter((r) => r.name !== "vnet-hub");
    vnetNamed(w, "vnet-aks").properties.virtualNetworkPeerings[0].properties.peeringState = "Initiated";
    assert.deepEqual(await findings(w), ["mandatory aks-acr-vnet-peering"]);
  });

  it("asks, not fails, where neither VNet of the pair is recorded", async () => {
    // GIVEN the hub VNet and the cluster's VNet both unrecorded (two subscriptions the capture could not read)
    const w = scenario("healthy-hub-spoke");
    w.resources = w.resources.filter((r) => r.name !== "vnet-hub" && r.name !== "vnet-aks");
    const out = await diagnoseWorld(w, pack());
    const peering = out.before.filter((d) => d.policyName.startsWith("aks-acr-vnet-peering"));
    assert.deepEqual(
      peering.map((d) => `${d.enforcementLevel} ${d.policyName}`),
      ["advisory aks-acr-vnet-peering-unverified"],
    );
    assert.match(
      peering[0].message,
      /unless the peerings from 'vnet-aks' to 'vnet-hub' and from 'vnet-hub' to 'vnet-aks' exist/,
    );
    assert.match(peering[0].message, /az network vnet peering list -g rg-hub --vnet-name vnet-hub/);
  });

  it("takes the registry's Approved connection to an unrecorded private endpoint as a path to ask about, not a failure", async () => {
    // GIVEN a registry with public access disabled whose private endpoint, zone and hub VNet sit in a
    // subscription the capture did not read; the registry's own record lists the connection
    const w = scenario("hub-in-another-subscription");
    const home = SUBSCRIPTION;
    w.resources = w.resources.filter((r) => r.id.split("/")[2] === home);
    const role = w.resources.find((r) => r.type.toLowerCase() === "microsoft.authorization/roleassignments")!;
    (role.properties as { principalId: string }).principalId = "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b"; // the kubelet's
    // THEN the egress check asks about the endpoint it cannot see, and nothing is mandatory
    assert.deepEqual(await findings(w), ["advisory acr-firewall-aks-egress-unverified"]);
    // AND without that connection on the registry's record, the refusal is certain
    const registry = w.resources.find(
      (r) => r.type.toLowerCase() === "microsoft.containerregistry/registries",
    )!;
    (registry.properties as { privateEndpointConnections: unknown[] }).privateEndpointConnections = [];
    assert.deepEqual(await findings(w), ["mandatory acr-firewall-aks-egress"]);
  });
});

describe("a fleet recording's workloads", () => {
  const { pack } = usePolicyPack();
  const ANNOTATION = "aks-acr-guard.io/cluster";

  /** healthy-public plus a second cluster whose kubelet holds no role, each running the web Deployment. */
  function fleet(annotate: boolean): World {
    const w = scenario("healthy-public");
    const prod = w.resources.find((r) => r.type.toLowerCase().endsWith("managedclusters"))!;
    const dev = JSON.parse(
      JSON.stringify(prod)
        .replace(/aks-prod/g, "aks-dev")
        .replace(/6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4a5b/g, "6c1f2a9e-3b7d-4e5f-9a8b-0c1d2e3f4d00"),
    ) as Rec;
    w.resources.push(dev);
    const web = w.kubernetes[0];
    const on = (cluster: Rec) => ({
      ...web,
      metadata: { ...web.metadata, ...(annotate ? { annotations: { [ANNOTATION]: cluster.id } } : {}) },
    });
    w.kubernetes = annotate
      ? [on(prod), { ...on(dev), metadata: { ...on(dev).metadata, name: "web-dev" } }]
      : [web];
    w.config = {};
    return w;
  }
  const levels = async (w: World) =>
    (await diagnoseWorld(w, pack())).before
      .filter((d) => d.policyName.startsWith("aks-acr-pull-role"))
      .map((d) => `${d.enforcementLevel} ${d.policyName} ${d.urn.split("::").pop()}`);

  it("places each workload on the cluster capture-world.sh marked it with, so a missing role there is certain", async () => {
    assert.deepEqual(await levels(fleet(true)), ["mandatory aks-acr-pull-role aks-dev"]);
  });

  it("does not call it certain where the workloads do not say their cluster", async () => {
    assert.deepEqual(
      (await levels(fleet(false))).filter((l) => l.startsWith("mandatory")),
      [],
    );
  });
});
