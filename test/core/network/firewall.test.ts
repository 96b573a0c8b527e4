// The hub firewall on the public path: the registry's public addresses are not known, so only a rule
// to `*` or naming the FQDN decides; addresses, service tags and other storage accounts stay uncertain.
import * as assert from "node:assert/strict";
import { parseCidr } from "../../../core/network/cidr";
import { ApplicationRule, NetworkRule, publicFirewallVerdict } from "../../../core/network/firewall";

const base = {
  action: "allow" as const,
  order: [100, 100, 0],
  sources: ["10.10.0.0/22"],
  sourcesUnknown: false,
  groupsPending: false,
  orderUnknown: false,
};
const app = (where: string, fqdns: string[], extra: Partial<ApplicationRule> = {}): ApplicationRule => ({
  ...base,
  where,
  fqdns,
  protocols: ["https:443"],
  ...extra,
});
const net = (where: string, destinations: string[], extra: Partial<NetworkRule> = {}): NetworkRule => ({
  ...base,
  where,
  destinations,
  destinationsUnknown: false,
  ports: ["443"],
  protocols: ["TCP"],
  ...extra,
});
const source = parseCidr("10.10.0.0/24")!;
const verdict = (network: NetworkRule[], application: ApplicationRule[], fqdn: string) =>
  publicFirewallVerdict({ network, application }, source, fqdn).kind;

describe("the hub firewall on the public path", () => {
  it("allows what an application rule names, and denies what no rule allows", () => {
    const rules = [app("rule 'acr'", ["contosoacr.azurecr.io"])];
    assert.equal(verdict([], rules, "contosoacr.azurecr.io"), "allow");
    assert.equal(verdict([], rules, "*.blob.core.windows.net"), "none");
    assert.equal(verdict([], rules, "contosoacr.westeurope.data.azurecr.io"), "none");
  });
  it("takes *.blob.core.windows.net for the registry's storage, and a named account as uncertain", () => {
    assert.equal(
      verdict([], [app("rule 'blob'", ["*.blob.core.windows.net"])], "*.blob.core.windows.net"),
      "allow",
    );
    assert.equal(
      verdict(
        [],
        [app("rule 'one account'", ["stcontoso.blob.core.windows.net"])],
        "*.blob.core.windows.net",
      ),
      "uncertain",
    );
  });
  it("leaves a network rule to addresses or a service tag uncertain, and decides one to *", () => {
    assert.equal(verdict([net("rule 'ips'", ["20.50.0.0/16"])], [], "contosoacr.azurecr.io"), "uncertain");
    assert.equal(
      verdict([net("rule 'tag'", ["AzureContainerRegistry"])], [], "contosoacr.azurecr.io"),
      "uncertain",
    );
    assert.equal(verdict([net("rule 'any'", ["*"])], [], "contosoacr.azurecr.io"), "allow");
    assert.equal(
      verdict([net("rule 'deny'", ["*"], { action: "deny" })], [], "contosoacr.azurecr.io"),
      "deny",
    );
  });
  it("ignores rules of other ports, protocols or sources, and is uncertain where the order is not known", () => {
    assert.equal(verdict([net("rule 'dns'", ["*"], { ports: ["53"] })], [], "contosoacr.azurecr.io"), "none");
    assert.equal(
      verdict([], [app("rule 'http'", ["*"], { protocols: ["http:80"] })], "contosoacr.azurecr.io"),
      "none",
    );
    assert.equal(
      verdict([], [app("rule 'other'", ["*"], { sources: ["10.99.0.0/16"] })], "contosoacr.azurecr.io"),
      "none",
    );
    assert.equal(
      verdict(
        [],
        [app("rule 'late'", ["contosoacr.azurecr.io"], { orderUnknown: true })],
        "contosoacr.azurecr.io",
      ),
      "uncertain",
    );
  });
});
