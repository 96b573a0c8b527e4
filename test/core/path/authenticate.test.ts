// The authenticate step (core/path/authenticate.ts): the registry takes the kubelet's ARM-audience
// token, and the node's credential provider matches the image's host.
import * as assert from "node:assert/strict";
import { credentialMatch, tokenAudience } from "../../../core/path/authenticate";
import { checkImage } from "../../../core/stack/images";
import { outcomeOf, scenarioPull, WILL } from "./scenario";

describe("tokenAudience: the registry accepts the ARM-audience token the kubelet presents", () => {
  it("passes a registry with authentication-as-ARM enabled (Azure's default)", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    assert.equal(outcomeOf(tokenAudience(topo, pair, WILL)), "pass");
  });
  it("fails a registry that refuses ARM tokens: 401, with the command that enables them", () => {
    const { topo, pair } = scenarioPull("registry-refuses-arm-tokens");
    const verdict = tokenAudience(topo, pair, WILL);
    assert.equal(outcomeOf(verdict), "fail");
    assert.match(verdict.symptom!, /401 Unauthorized/);
    assert.match(verdict.fails[0], /refuses ARM-audience tokens/);
    assert.deepEqual(verdict.commands, [
      "az acr config authentication-as-arm update -r contosoacr --status enabled",
    ]);
  });
});

describe("credentialMatch: the kubelet's credential provider matches the image's host", () => {
  // The registry's login servers, as the stack shows them: its name, and its domain-name-label form.
  const KNOWN = new Set(["contosoacr.azurecr.io", "contosoacr-abcdefgh12345678.azurecr.io"]);
  const cases: [string, string, "pass" | "fail" | "unknown"][] = [
    ["a login server matches", "contosoacr.azurecr.io/shop/web:1.4.2", "pass"],
    [
      "a geo-replica's regional endpoint is matched only by newer providers: unknown",
      "contosoacr.westeurope.geo.azurecr.io/shop/web:1.4.2",
      "unknown",
    ],
    [
      "a domain-name-label login server likewise",
      "contosoacr-abcdefgh12345678.azurecr.io/shop/web:1.4.2",
      "unknown",
    ],
    [
      "a host with a port is never matched: the pull goes anonymous",
      "contosoacr.azurecr.io:443/shop/web:1.4.2",
      "fail",
    ],
  ];
  for (const [behaviour, image, expected] of cases) {
    it(behaviour, () => {
      const match = credentialMatch(image, checkImage(image, KNOWN), undefined);
      assert.equal(match.verdict, expected, JSON.stringify(match));
      if (expected === "fail") assert.ok(match.problem);
      if (expected === "unknown") assert.ok(match.doubt);
    });
  }
});
