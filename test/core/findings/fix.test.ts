import * as assert from "node:assert/strict";
import { cmd, cmds, readFix } from "../../../core/findings/fix";

describe("core/fix: a finding's fix on the wire", () => {
  it("reads back the component and every command the Fix line wrote, in order", () => {
    const message =
      "Pods on cluster 'aks-prod' will fail with ErrImagePull.\n" +
      `Fix: declare aks-acr-guard's RegistryEgressAccess, or run: ${cmds(["az acr network-rule add -n a --ip-address 1.2.3.4", 'az acr update -n a --query "x" -o tsv'])}\n` +
      "(Not certain: nothing shows the pair.)";
    assert.deepEqual(readFix(message), {
      component: "RegistryEgressAccess",
      text:
        "declare aks-acr-guard's RegistryEgressAccess, or run: `az acr network-rule add -n a --ip-address 1.2.3.4`, " +
        'then `az acr update -n a --query "x" -o tsv`',
      commands: [
        "az acr network-rule add -n a --ip-address 1.2.3.4",
        'az acr update -n a --query "x" -o tsv',
      ],
    });
  });
  it("reads nothing from prose: a command not written with cmd is no command, a line not opening with Fix: no fix", () => {
    assert.deepEqual(readFix("Something.\nFix: run az acr update -n a --sku Premium"), {
      text: "run az acr update -n a --sku Premium",
      commands: [],
    });
    assert.equal(readFix(`Something. Fix: ${cmd("az acr show -n a")}`), undefined);
  });
  it("refuses a command that would end its own code span", () => {
    assert.throws(() => cmd("echo `date`"), /cannot hold a backtick/);
  });
});
