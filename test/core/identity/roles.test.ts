import * as assert from "node:assert/strict";
import {
  actionMatches,
  builtInRole,
  customRolePulls,
  permissionsGrant,
  PULL_ACTION,
  pullRoleFor,
  roleDefinitionGuid,
} from "../../../core/identity/roles";

describe("core/roles", () => {
  it("matches actions case-insensitively with wildcards anywhere", () => {
    assert.ok(actionMatches("microsoft.containerregistry/registries/pull/read", PULL_ACTION));
    assert.ok(actionMatches("*", PULL_ACTION));
    assert.ok(actionMatches("*/read", PULL_ACTION));
    assert.ok(actionMatches("Microsoft.ContainerRegistry/*", PULL_ACTION));
    assert.ok(actionMatches("Microsoft.ContainerRegistry/registries/*/read", PULL_ACTION));
    assert.ok(!actionMatches("Microsoft.ContainerRegistry/registries/push/write", PULL_ACTION));
    assert.ok(!actionMatches("Microsoft.Storage/*", PULL_ACTION));
    assert.ok(!actionMatches("Microsoft.ContainerRegistry/registries/pull", PULL_ACTION));
    // Regex metacharacters in a pattern are literal.
    assert.ok(!actionMatches("Microsoft.ContainerRegistry/registries/pull/rea.", PULL_ACTION));
  });

  it("subtracts notActions within a permission block, and unites blocks", () => {
    assert.ok(
      !permissionsGrant(
        [{ actions: ["*"], notActions: ["Microsoft.ContainerRegistry/*"] }],
        PULL_ACTION,
        false,
      ),
    );
    assert.ok(
      permissionsGrant(
        [{ actions: ["*"], notActions: ["Microsoft.ContainerRegistry/*"] }, { actions: [PULL_ACTION] }],
        PULL_ACTION,
        false,
      ),
    );
    assert.ok(
      !permissionsGrant([{ dataActions: [PULL_ACTION] }], PULL_ACTION, false),
      "a data action is not an action",
    );
  });

  it("needs the repository content data action on an ABAC registry", () => {
    const dataRead = [{ dataActions: ["Microsoft.ContainerRegistry/registries/repositories/content/read"] }];
    assert.ok(customRolePulls(dataRead, "abac"));
    assert.ok(customRolePulls(dataRead, "rbac"));
    assert.ok(!customRolePulls([{ actions: ["*"] }], "abac"));
    assert.ok(customRolePulls([{ actions: ["*"] }], "rbac"));
    assert.ok(
      !customRolePulls(
        [
          {
            dataActions: ["*"],
            notDataActions: ["Microsoft.ContainerRegistry/registries/repositories/content/*"],
          },
        ],
        "abac",
      ),
    );
  });

  it("knows the built-in pull roles of CAUSES.md by GUID, in each mode", () => {
    const rbac = [
      "7f951dda-4ed3-4680-a7ca-43fe172d538d",
      "8311e382-0749-4cb8-b61a-304f252e45ec",
      "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
      "b24988ac-6180-42a0-ab88-20f7382dd24c",
      "acdd72a7-3385-48ef-bd42-f606fba81ae7",
      "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
    ];
    for (const g of rbac) {
      assert.equal(builtInRole(g)?.pullsRbac, true, g);
      assert.equal(builtInRole(g)?.pullsAbac, false, g);
    }
    assert.equal(builtInRole("B93AA761-3E63-49ED-AC28-BEFFA264F7AC")?.pullsAbac, true);
    assert.equal(builtInRole("c2f4ef07-c644-48eb-af81-4b1b4947fb11")?.name, "AcrDelete");
    assert.equal(builtInRole("c2f4ef07-c644-48eb-af81-4b1b4947fb11")?.pullsRbac, false);
    assert.equal(pullRoleFor("rbac").name, "AcrPull");
    assert.equal(pullRoleFor("abac").name, "Container Registry Repository Reader");
  });

  it("extracts the GUID of a role definition id in every form ARM uses", () => {
    const g = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
    assert.equal(
      roleDefinitionGuid(`/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/${g}`),
      g,
    );
    assert.equal(
      roleDefinitionGuid(`/providers/Microsoft.Authorization/roleDefinitions/${g.toUpperCase()}`),
      g,
    );
    assert.equal(roleDefinitionGuid(g), g);
    assert.equal(roleDefinitionGuid("AcrPull"), undefined);
    assert.equal(
      roleDefinitionGuid(
        `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/${g}`,
      ),
      undefined,
    );
  });
});
