// The reader a component is given (components/azure/reader.ts): made lazily and once, so the
// integration's observer and its pull-role check share one look-up of the provider's cloud.
import * as assert from "node:assert/strict";
import { AzureReader, lazyReader } from "../../../components/azure/reader";
import { worldReader } from "../../../offline/world-reader";
import { registryRow } from "../../fixtures/arm";
import { armId } from "../../fixtures/azure";

const REGISTRY = armId("rg-acr", "Microsoft.ContainerRegistry/registries", "contosoacr");

describe("lazyReader: a reader made on first use, once", () => {
  it("makes nothing until asked, then one reader for every call, which answers them", async () => {
    // GIVEN a maker that counts its calls
    let made = 0;
    const reader = lazyReader(async () => {
      made++;
      return worldReader([registryRow(REGISTRY, { loginName: "contosoacr" })]);
    });
    assert.equal(made, 0, "made before its first use");

    // WHEN two callers read at once, and then one more
    const [a, b] = await Promise.all([reader.get(REGISTRY), reader.list(`${REGISTRY}/tokens`)]);
    const missing = await reader.get(`${REGISTRY}x`);

    // THEN one reader answered them all
    assert.equal(made, 1);
    assert.equal(a?.id, REGISTRY);
    assert.deepEqual(b, []);
    assert.equal(missing, undefined);
  });

  it("hands every method of the reader on", async () => {
    const calls: string[] = [];
    const spy = new Proxy({} as AzureReader, {
      // Not a thenable: a promise resolving to it must not take it for one.
      get: (_, method: string) =>
        method === "then"
          ? undefined
          : async () => {
              calls.push(method);
              return undefined;
            },
    });
    const reader = lazyReader(async () => spy);
    await reader.get("a");
    await reader.list("b");
    await reader.roleAssignmentsAt("c");
    await reader.servicePrincipal("d");
    await reader.registryCredentials("e");
    await reader.imagePlatforms("f", "g", "h", "i");
    assert.deepEqual(calls, [
      "get",
      "list",
      "roleAssignmentsAt",
      "servicePrincipal",
      "registryCredentials",
      "imagePlatforms",
    ]);
  });

  it("passes a failure to make the reader to the caller that needed it", async () => {
    const reader = lazyReader(async () => {
      throw new Error("no cloud metadata");
    });
    await assert.rejects(reader.get(REGISTRY), /no cloud metadata/);
  });
});
