// Why the plan leaves a finding (offline/left.ts): the policy's guide says why and which config
// would let the program fix it; the fix is the program's own commands, else the finding's Fix line.
import * as assert from "node:assert/strict";
import { Finding } from "../../offline/finding";
import { leftFindings } from "../../offline/left";
import { GUIDES } from "../../policies/policies";

const finding = (policy: string, fix?: string): Finding => ({
  policy,
  level: "mandatory",
  cause: policy,
  resourceId:
    "/subscriptions/s/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod",
  resource: "aks-prod",
  urn: "urn:pulumi:world::aks-acr-guard::azure-native:containerservice:ManagedCluster::aks-prod",
  detail: policy,
  message: policy,
  ...(fix ? { fix: { text: fix, commands: [] } } : {}),
});

describe("leftFindings: each finding the plan leaves, with why and its fix", () => {
  it("gives the guide's why and config, and the program's commands for the policy as the fix", () => {
    const [left] = leftFindings(
      [finding("acr-firewall-aks-egress", "add the egress IP")],
      [
        {
          policy: "acr-firewall-aks-egress",
          command: "az acr network-rule add -n contosoacr --ip-address 20.50.1.4",
        },
        { policy: "aks-acr-vnet-peering", command: "az network vnet peering delete" },
      ],
    );
    assert.equal(left.why, GUIDES["acr-firewall-aks-egress"].left!.why);
    assert.equal(left.config, GUIDES["acr-firewall-aks-egress"].left!.config);
    assert.deepEqual(left.fix, ["run: az acr network-rule add -n contosoacr --ip-address 20.50.1.4"]);
  });

  it("falls back to the finding's own Fix line where the program has no command for it", () => {
    const [left] = leftFindings(
      [finding("acr-admin-user-disabled", "az acr update -n contosoacr --admin-enabled false")],
      [],
    );
    assert.deepEqual(left.fix, ["az acr update -n contosoacr --admin-enabled false"]);
    assert.deepEqual(
      [left.policy, left.level, left.resource],
      ["acr-admin-user-disabled", "mandatory", "aks-prod"],
    );
  });

  it("says so, plainly, for a policy without a guide, and gives no fix where there is none", () => {
    const [left] = leftFindings([finding("not-a-policy")], []);
    assert.deepEqual(
      { why: left.why, config: left.config, fix: left.fix },
      { why: "no component of this program declares what this policy checks", config: "none", fix: [] },
    );
  });
});
