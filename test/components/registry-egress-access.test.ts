/** RegistryEgressAccess: the rule set for a registry the stack owns, the commands for one it does not, and what it refuses. */
import * as assert from "node:assert/strict";
import { planEgressAccess } from "../../components/registry-egress-access";
import { forgetDeliberateFailures, usePulumiMocks, valueOf, useComponents } from "../harness/mocks";

describe("RegistryEgressAccess", () => {
  const mocks = usePulumiMocks();
  const components = useComponents();

  it("RegistryEgressAccess gives the rule set for an owned registry and the az commands for another, never wider than asked", async () => {
    const e = new components.RegistryEgressAccess("egress", {
      registryId:
        "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr",
      egressIps: ["20.50.1.4", "20.60.0.9"],
      currentIpRules: ["20.60.0.0/24"],
    });
    assert.deepEqual(await valueOf(e.missingIps), ["20.50.1.4"]);
    assert.deepEqual(await valueOf(e.networkRuleSet), {
      defaultAction: "Deny",
      ipRules: [
        { action: "Allow", iPAddressOrRange: "20.60.0.0/24" },
        { action: "Allow", iPAddressOrRange: "20.50.1.4" },
      ],
    });
    assert.deepEqual(await valueOf(e.commands), [
      "az acr network-rule add --subscription s -g rg-acr -n contosoacr --ip-address 20.50.1.4",
    ]);
    assert.deepEqual(
      mocks.resources.map((r) => r.type),
      ["aks-acr-guard:index:RegistryEgressAccess"],
    );
  });

  it("RegistryEgressAccess refuses what would open the registry, with the value and the expected form", async () => {
    const id =
      "/subscriptions/s/resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/contosoacr";
    assert.throws(() => planEgressAccess(id, ["0.0.0.0/0"], [], 16), /0\.0\.0\.0\/0, wider than \/16/);
    assert.throws(() => planEgressAccess(id, ["20.0.0.0/8"], [], 16), /wider than \/16/);
    assert.throws(
      () => planEgressAccess(id, ["2001:db8::1"], [], 16),
      /expected an IPv4 address or CIDR range/,
    );
    assert.throws(() => planEgressAccess(id, [], [], 16), /egressIps is empty/);
    assert.throws(() => planEgressAccess("contosoacr", ["20.50.1.4"], [], 16), /registryId "contosoacr"/);
    assert.throws(
      () => planEgressAccess(id, ["20.50.1.4"], [], 0),
      /minPrefixLength is 0; expected an integer from 1 to 32/,
    );
    assert.deepEqual(
      planEgressAccess(id, ["20.50.1.4", "20.50.1.4"], [], 16).missingIps,
      ["20.50.1.4"],
      "deduplicated",
    );
    forgetDeliberateFailures();
  });
});
