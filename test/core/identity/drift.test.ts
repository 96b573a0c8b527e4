// Drift outside the stack that breaks pulls with 401 (core/identity/drift.ts): a node-pool scale set
// without the kubelet identity, and when a service-principal cluster's secret ends.
import * as assert from "node:assert/strict";
import {
  credentialEnds,
  scaleSetsWithoutKubelet,
  servicePrincipalSecret,
} from "../../../core/identity/drift";
import { ArmRecord } from "../../../core/stack/arm-types";
import { UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import { recordOf, scenarioPull } from "../path/scenario";

const SCALE_SET = "Microsoft.Compute/virtualMachineScaleSets";
const SP = "Microsoft.Graph/servicePrincipals";
const credentials = (rs: ArmRecord[]) =>
  recordOf(rs, SP).properties!.passwordCredentials as Record<string, unknown>[];

describe("scaleSetsWithoutKubelet: scale sets in the node resource group that lost the kubelet identity", () => {
  it("none where each carries it", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    assert.deepEqual(scaleSetsWithoutKubelet(topo, pair.cluster), { missing: [], pending: undefined });
  });
  it("names the scale set that does not", () => {
    const { topo, pair } = scenarioPull("kubelet-identity-off-vmss");
    const { missing } = scaleSetsWithoutKubelet(topo, pair.cluster);
    assert.deepEqual(
      missing.map((m) => m.scaleSetName),
      ["aks-system-31415926-vmss"],
    );
  });
  it("matches the identity's id in any casing", () => {
    const { topo, pair } = scenarioPull("healthy-public", (rs) => {
      const identity = recordOf(rs, SCALE_SET).identity as {
        userAssignedIdentities: Record<string, unknown>;
      };
      identity.userAssignedIdentities = Object.fromEntries(
        Object.entries(identity.userAssignedIdentities).map(([k, v]) => [k.toUpperCase(), v]),
      );
    });
    assert.deepEqual(scaleSetsWithoutKubelet(topo, pair.cluster).missing, []);
  });
  it("waits while a scale set's identities are not known (a preview)", () => {
    const { topo, pair } = scenarioPull("healthy-public", (rs) => {
      (recordOf(rs, SCALE_SET).identity as Record<string, unknown>).userAssignedIdentities =
        UNKNOWN_WIRE_VALUE;
    });
    const { missing, pending } = scaleSetsWithoutKubelet(topo, pair.cluster);
    assert.deepEqual(missing, []);
    assert.match(pending!, /identity\.userAssignedIdentities/);
  });
  it("has nothing to check on a service-principal cluster", () => {
    const { topo, pair } = scenarioPull("sp-secret-expired");
    assert.deepEqual(scaleSetsWithoutKubelet(topo, pair.cluster), { missing: [] });
  });
});

describe("servicePrincipalSecret and credentialEnds: when the cluster's secret ends", () => {
  it("the latest of the service principal's credentials, not exact (the cluster may use any)", () => {
    const { topo, pair } = scenarioPull("sp-secret-expired", (rs) => {
      credentials(rs).push({
        keyId: "k2",
        displayName: "rotated",
        endDateTime: "2027-03-01T00:00:00Z",
        source: "application",
      });
    });
    const secret = servicePrincipalSecret(topo, pair.cluster);
    assert.deepEqual(secret, {
      end: new Date("2027-03-01T00:00:00Z"),
      exact: false,
      source: "credential rotated",
    });
  });
  it("every credential's end, named", () => {
    const { topo, pair } = scenarioPull("sp-secret-expired");
    assert.deepEqual(credentialEnds(topo, String(pair.cluster.identity.clientId)), [
      { end: new Date("2025-06-30T00:00:00Z"), source: "credential aks" },
    ]);
  });
  it("nothing known where no credential is shown, and nothing to ask of a managed-identity cluster", () => {
    const { topo, pair } = scenarioPull("sp-secret-expired", (rs) => {
      credentials(rs).length = 0;
    });
    assert.equal(servicePrincipalSecret(topo, pair.cluster), undefined);
    const mi = scenarioPull("healthy-public");
    assert.equal(servicePrincipalSecret(mi.topo, mi.pair.cluster), undefined);
  });
});
