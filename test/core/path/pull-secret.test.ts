// Pull secrets (core/path/pull-secret.ts): each secret a workload pulls with holds credentials the
// registry takes.
import * as assert from "node:assert/strict";
import { pullSecretFindings } from "../../../core/path/pull-secret";
import { scenarioPull } from "./scenario";

describe("pullSecretFindings: a pull secret the registry refuses fails its workloads' pulls", () => {
  it("finds a secret with the admin user's credentials once the admin user is disabled: 401", () => {
    const { topo } = scenarioPull("pull-secret-admin-disabled");
    const { certain, unverified } = pullSecretFindings(topo);
    assert.deepEqual(
      certain.map((f) => f.res.name),
      ["apps/acr-contosoacr"],
    );
    assert.match(certain[0].symptom!, /401 Unauthorized/);
    assert.match(
      certain[0].message,
      /Pods using pull secret 'apps\/acr-contosoacr' to pull from contosoacr\.azurecr\.io will fail/,
    );
    assert.deepEqual(unverified, []);
  });
  it("finds nothing where no workload pulls with a secret", () => {
    const { topo } = scenarioPull("healthy-public");
    const { certain, unverified } = pullSecretFindings(topo);
    assert.deepEqual([certain, unverified], [[], []]);
  });
});
