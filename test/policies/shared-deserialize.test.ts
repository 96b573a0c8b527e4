import * as assert from "node:assert/strict";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { shareStackDeserialization } from "../../policies/lib/shared-deserialize";

describe("sharing AnalyzeStack's deserialization across stack policies", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("@pulumi/policy/deserialize") as {
    deserializeProperties(s: object, proxySecrets: boolean): Record<string, unknown>;
  };

  it("wraps @pulumi/policy's deserializer in the installed version (else the pack is only slower)", () => {
    assert.equal(shareStackDeserialization(), true);
    assert.equal(shareStackDeserialization(), false, "once");
  });

  it("gives every stack policy the same plain object for the same resource, and Analyze a fresh one", () => {
    const struct = Struct.fromJavaScript({ name: "contosoacr", sku: { name: "Premium" } });
    const a = mod.deserializeProperties(struct, false);
    assert.equal(mod.deserializeProperties(struct, false), a);
    assert.deepEqual(a, { name: "contosoacr", sku: { name: "Premium" } });
    assert.notEqual(mod.deserializeProperties(struct, true), mod.deserializeProperties(struct, true));
    const other = Struct.fromJavaScript({ name: "other" });
    assert.deepEqual(mod.deserializeProperties(other, false), { name: "other" });
  });
});
