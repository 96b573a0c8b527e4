import * as assert from "node:assert/strict";
import {
  all3,
  any3,
  isUnknown,
  read,
  readString,
  sameText,
  UNKNOWN,
  UNKNOWN_WIRE_VALUE,
} from "../../../core/stack/values";

describe("core/values", () => {
  const props = { a: { b: UNKNOWN_WIRE_VALUE, c: "x", n: 3 }, u: UNKNOWN_WIRE_VALUE };

  it("reads the engine's unknown sentinel as UNKNOWN, at the leaf or on the way", () => {
    assert.equal(read(props, "a", "b"), UNKNOWN);
    assert.equal(read(props, "u", "deeper", "still"), UNKNOWN);
    assert.equal(readString(props, "a", "c"), "x");
    assert.equal(readString(props, "a", "n"), undefined, "a number is not a string");
    assert.equal(read(props, "missing", "x"), undefined);
    assert.ok(isUnknown(UNKNOWN_WIRE_VALUE) && !isUnknown("04da6b54"));
  });

  it("combines three-valued decisions: false and true dominate unknown", () => {
    assert.equal(all3([true, UNKNOWN]), UNKNOWN);
    assert.equal(all3([UNKNOWN, false]), false);
    assert.equal(all3([]), true);
    assert.equal(any3([false, UNKNOWN]), UNKNOWN);
    assert.equal(any3([UNKNOWN, true]), true);
    assert.equal(any3([]), false);
  });

  it("compares text case-insensitively, unknown when either side is", () => {
    assert.equal(sameText("ABC", "abc"), true);
    assert.equal(sameText("abc", undefined), false);
    assert.equal(sameText(UNKNOWN, "abc"), UNKNOWN);
  });
});
