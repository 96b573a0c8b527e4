// Stack config of the program (core/plan/program-config.ts): read and checked before anything is
// declared. Each bad value's message is tabled in test/program.test.ts, through the program.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ProgramConfigError, readProgramConfig } from "../../../core/plan/program-config";
import { loadWorld } from "../../../offline/world";
import { REPO_ROOT } from "../../harness";

const scenario = (name: string) => loadWorld(path.join(REPO_ROOT, "scenarios", name, "world.json"));

describe("readProgramConfig", () => {
  it("reads pull-secret credentials: a client id is a service principal's, another name a token's", () => {
    const good = scenario("healthy-public").config;
    const read = (username: string) =>
      readProgramConfig(
        (k) =>
          ({ ...good, pullSecretNamespace: "apps", pullSecretUsername: username, pullSecretPassword: "pw" })[
            k
          ],
      ).pullSecretCredentials;
    assert.deepEqual(read("4d3c2b1a-0f9e-4d8c-b7a6-958473625140"), {
      servicePrincipalClientId: "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
      servicePrincipalSecret: "pw",
    });
    assert.deepEqual(read("aks-prod-pull"), { tokenName: "aks-prod-pull", tokenPassword: "pw" });
    assert.equal(readProgramConfig((k) => good[k]).pullSecretCredentials, undefined);
  });

  it("reports every bad key at once", () => {
    assert.throws(
      () => readProgramConfig((k) => ({ clusterId: "x", registryId: "y", principalObjectId: "z" })[k]),
      (e: ProgramConfigError) => e.problems.length === 3,
    );
  });
});
