import * as assert from "node:assert/strict";
import {
  isExpired,
  judgeSuppressions,
  parseSuppressions,
  Suppression,
  SuppressionTarget,
} from "../../../core/findings/suppressions";

const POLICIES = ["acr-admin-user-disabled", "aks-acr-pull-role"];
const ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/contosoacr";

describe("core/suppressions", () => {
  describe("parseSuppressions", () => {
    it("reads a file's array, or its {suppressions: [...]}", () => {
      const s = { policy: POLICIES[0], resource: "contosoacr", reason: "legacy CI", expires: "2027-01-31" };
      assert.deepEqual(parseSuppressions([s], "f", { policies: POLICIES }), [s]);
      assert.deepEqual(parseSuppressions({ suppressions: [s] }, "f", { policies: POLICIES }), [s]);
    });
    it("takes the policy from a policy's config", () => {
      assert.deepEqual(
        parseSuppressions([{ resource: "r", reason: "why", expires: "2027-01-31" }], "c", { policy: "p" }),
        [{ policy: "p", resource: "r", reason: "why", expires: "2027-01-31" }],
      );
    });
    const refused: [string, unknown, RegExp][] = [
      ["not an array", { policy: "x" }, /expected an array/],
      ["an entry not an object", ["x"], /\[0\]: expected an object/],
      ["no reason", [{ policy: POLICIES[0], resource: "r", expires: "2027-01-31" }], /'reason' must be/],
      [
        "an empty reason",
        [{ policy: POLICIES[0], resource: "r", reason: " ", expires: "2027-01-31" }],
        /'reason'/,
      ],
      ["no expiry", [{ policy: POLICIES[0], resource: "r", reason: "x" }], /'expires' must be/],
      [
        "a date that is not one",
        [{ policy: POLICIES[0], resource: "r", reason: "x", expires: "2027-02-30" }],
        /not a date/,
      ],
      [
        "a time, not a date",
        [{ policy: POLICIES[0], resource: "r", reason: "x", expires: "2027-02-01T00:00Z" }],
        /not a date/,
      ],
      [
        "an unknown key",
        [{ policy: POLICIES[0], resource: "r", reason: "x", expires: "2027-01-31", until: 1 }],
        /'until' is not one of/,
      ],
      [
        "an unknown policy",
        [{ policy: "acr-admin", resource: "r", reason: "x", expires: "2027-01-31" }],
        /policy 'acr-admin' is not one of/,
      ],
    ];
    for (const [what, value, error] of refused) {
      it(`refuses ${what}, naming where`, () => {
        assert.throws(
          () => parseSuppressions(value, "supp.json", { policies: POLICIES }),
          (e: Error) => {
            assert.match(e.message, /^supp\.json/);
            assert.match(e.message, error);
            return true;
          },
        );
      });
    }
  });

  it("holds through the whole expires day, UTC, and not after", () => {
    const s = { policy: "p", resource: "r", reason: "x", expires: "2026-12-05" };
    assert.equal(isExpired(s, new Date("2026-12-05T23:59:59Z")), false);
    assert.equal(isExpired(s, new Date("2026-12-06T00:00:00Z")), true);
  });

  describe("judgeSuppressions", () => {
    const now = new Date("2026-12-05T12:00:00Z");
    const f = (policy: string, name: string, id?: string): SuppressionTarget => ({
      policy,
      urn: `urn:pulumi:s::p::t::${name}`,
      name,
      id,
    });
    const s = (policy: string, resource: string, expires = "2027-01-31"): Suppression => ({
      policy,
      resource,
      reason: "accepted",
      expires,
    });
    const judge = (findings: SuppressionTarget[], suppressions: Suppression[]) =>
      judgeSuppressions(findings, suppressions, (x) => x, now);

    it("hides a finding named by its ARM id in any casing, its URN or its name", () => {
      const finding = f(POLICIES[0], "contosoacr", ID);
      for (const resource of [ID.toUpperCase(), finding.urn!, "contosoacr"]) {
        const v = judge([finding], [s(POLICIES[0], resource)]);
        assert.deepEqual(v.kept, [], resource);
        assert.equal(v.suppressed.length, 1, resource);
      }
    });
    it("hides only its own policy's finding on its own resource", () => {
      const v = judge(
        [f(POLICIES[0], "contosoacr"), f(POLICIES[1], "contosoacr"), f(POLICIES[0], "otheracr")],
        [s(POLICIES[0], "contosoacr")],
      );
      assert.deepEqual(
        v.kept.map((k) => `${k.policy}/${k.name}`),
        [`${POLICIES[1]}/contosoacr`, `${POLICIES[0]}/otheracr`],
      );
    });
    it("reports an expired suppression and keeps its finding", () => {
      const old = s(POLICIES[0], "contosoacr", "2026-12-04");
      const v = judge([f(POLICIES[0], "contosoacr")], [old]);
      assert.equal(v.kept.length, 1);
      assert.deepEqual(
        v.expired.map((e) => e.by),
        [old],
      );
      assert.deepEqual(v.unmatched, []);
    });
    it("reports a suppression that matches nothing, and an expired one that matches nothing as expired", () => {
      const stale = s(POLICIES[1], "aks-gone");
      const old = s(POLICIES[1], "aks-older", "2025-01-01");
      const v = judge([f(POLICIES[0], "contosoacr")], [stale, old]);
      assert.deepEqual(v.unmatched, [stale]);
      assert.deepEqual(v.expired, [{ by: old }]);
    });
  });
});
