import * as assert from "node:assert/strict";
import { kindOf } from "../../../core/stack/tokens";

describe("kindOf: which of the stack's resources a token is, whatever its API version", () => {
  it("classifies default, API-versioned and other-provider tokens", () => {
    assert.equal(kindOf("azure-native:containerregistry:Registry"), "registry");
    assert.equal(kindOf("azure-native:containerregistry/v20251101:Registry"), "registry");
    assert.equal(kindOf("azure-native:containerregistry/v20250501preview:Registry"), "registry");
    assert.equal(kindOf("azure-native:authorization/v20220401:RoleAssignment"), "roleAssignment");
    assert.equal(kindOf("azuread:index/servicePrincipal:ServicePrincipal"), "servicePrincipal");
    assert.equal(kindOf("azure-native:containerregistry:Replication"), undefined);
    assert.equal(kindOf("azure:containerservice/kubernetesCluster:KubernetesCluster"), undefined);
  });
});
