// The hub firewall on the public path: the registry's public addresses are not known, so only a rule
// to `*` or naming the FQDN decides; addresses, service tags and other storage accounts stay uncertain.
import * as assert from "node:assert/strict";
import { Cidr, parseCidr } from "../../../core/network/cidr";
import {
  addressCovers,
  ApplicationRule,
  firewallVerdict,
  FirewallVerdict,
  fqdnCovers,
  NetworkRule,
  nsgDenies,
  portCovers,
  publicFirewallVerdict,
} from "../../../core/network/firewall";
import { StackResource } from "../../../core/stack/resource";
import { outbound443Rule } from "../../fixtures/network";
import { known, UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";

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

// The hub firewall on the private path (the cluster's subnets to the registry's private endpoint):
// the first rule in Azure Firewall's order decides, network rules before application rules.
describe("firewallVerdict: the first matching rule decides, and an unknown order or source leaves it uncertain", () => {
  const endpoint = parseCidr("10.0.1.4/32")!;
  const login = ["contosoacr.azurecr.io"];
  const at = (priority: number) => ({ order: [priority, priority, 0] });
  const cases: [string, NetworkRule[], ApplicationRule[], FirewallVerdict["kind"]][] = [
    ["no rule: nothing decides (Azure Firewall then denies)", [], [], "none"],
    [
      "a network rule to the endpoint's subnet on TCP 443 allows",
      [net("allow", ["10.0.1.0/24"])],
      [],
      "allow",
    ],
    [
      "a network rule to *, any protocol, port range 1-1024 allows",
      [net("any", ["*"], { protocols: ["Any"], ports: ["1-1024"] })],
      [],
      "allow",
    ],
    ["a rule on port 80 only does not match", [net("web", ["10.0.1.0/24"], { ports: ["80"] })], [], "none"],
    ["a rule on UDP does not match", [net("udp", ["10.0.1.0/24"], { protocols: ["UDP"] })], [], "none"],
    [
      "a rule from other sources does not match",
      [net("other", ["*"], { sources: ["192.168.0.0/16"] })],
      [],
      "none",
    ],
    [
      "a rule naming the login server's FQDN matches the endpoint",
      [net("fqdn", ["contosoacr.azurecr.io"])],
      [],
      "allow",
    ],
    [
      "a Deny ahead of an Allow denies",
      [net("deny", ["*"], { action: "deny", ...at(100) }), net("allow", ["10.0.1.0/24"], at(200))],
      [],
      "deny",
    ],
    [
      "a rule whose sources are an IP group not shown is uncertain",
      [net("ipgroup", ["10.0.1.0/24"], { sources: [], sourcesUnknown: true })],
      [],
      "uncertain",
    ],
    [
      "an Allow and a Deny that both match, one of unknown priority, are uncertain",
      [net("allow", ["10.0.1.0/24"], at(100)), net("deny", ["*"], { action: "deny", orderUnknown: true })],
      [],
      "uncertain",
    ],
    ["an application rule on HTTPS for the login server allows", [], [app("app", login)], "allow"],
    [
      "an application rule on HTTP only does not match",
      [],
      [app("http", login, { protocols: ["http:80"] })],
      "none",
    ],
  ];
  for (const [behaviour, network, application, expected] of cases) {
    it(behaviour, () => {
      assert.equal(firewallVerdict({ network, application }, source, endpoint, login).kind, expected);
    });
  }
  it("names the rule that decided", () => {
    const deny = net("deny", ["*"], { action: "deny", ...at(100) });
    const v = firewallVerdict(
      { network: [deny, net("allow", ["*"], at(200))], application: [] },
      source,
      endpoint,
      login,
    );
    assert.deepEqual(v, { kind: "deny", rule: deny });
  });
});

describe("what a rule's port, FQDN and address specs cover", () => {
  const ports: [string, number, boolean][] = [
    ["443", 443, true],
    ["*", 443, true],
    ["1-1024", 443, true],
    ["444-500", 443, false],
    ["80", 443, false],
  ];
  for (const [spec, port, covers] of ports)
    it(`port spec ${spec} ${covers ? "covers" : "does not cover"} ${port}`, () =>
      assert.equal(portCovers(spec, port), covers));
  const fqdns: [string, string, boolean][] = [
    ["contosoacr.azurecr.io", "contosoacr.azurecr.io", true],
    ["ContosoACR.AzureCR.io", "contosoacr.azurecr.io", true],
    ["*.azurecr.io", "contosoacr.azurecr.io", true],
    ["*.azurecr.io", "contosoacr.westeurope.data.azurecr.io", true],
    ["*.azurecr.io", "azurecr.io", false],
    ["*", "anything.example", true],
    ["contosoacr.azurecr.io", "contosoacr.westeurope.data.azurecr.io", false],
    ["*.blob.core.windows.net", "contosoacr.azurecr.io", false],
  ];
  for (const [pattern, fqdn, covers] of fqdns)
    it(`FQDN pattern ${pattern} ${covers ? "covers" : "does not cover"} ${fqdn}`, () =>
      assert.equal(fqdnCovers(pattern, fqdn), covers));
  const addresses: [string, string, boolean][] = [
    ["*", "10.0.1.4/32", true],
    ["Any", "10.0.1.4/32", true],
    ["10.0.0.0/16", "10.0.1.4/32", true],
    ["10.0.1.4", "10.0.1.4/32", true],
    ["10.0.2.0/24", "10.0.1.4/32", false],
    ["10.0.1.0/24", "10.0.0.0/16", false],
    ["AzureContainerRegistry", "10.0.1.4/32", false],
  ];
  for (const [spec, target, covers] of addresses)
    it(`address spec ${spec} ${covers ? "covers" : "does not cover"} ${target}`, () =>
      assert.equal(addressCovers(spec, parseCidr(target)!), covers));
});

describe("nsgDenies: the first outbound rule on TCP 443 to the target, by priority, decides", () => {
  const rule = (
    name: string,
    priority: unknown,
    access: "Allow" | "Deny",
    dest: string,
    extra: Record<string, unknown> = {},
  ) => outbound443Rule(name, access, priority, dest, extra);
  const nsg = (securityRules: unknown): StackResource => ({
    type: "azure-native:network:NetworkSecurityGroup",
    urn: "urn:pulumi:test::aks-acr-guard::azure-native:network:NetworkSecurityGroup::nsg-nodes",
    name: "nsg-nodes",
    props: { securityRules },
    dependencies: [],
    propertyDependencies: {},
  });
  const endpoint = { cidr: parseCidr("10.0.1.4/32")!, tags: [] };
  const registryTag = { tags: ["AzureContainerRegistry"] };
  const cases: [string, unknown, { cidr?: Cidr; tags: string[] }, string | undefined][] = [
    ["no rules: Azure's default outbound rules allow", [], endpoint, undefined],
    [
      "a Deny to the endpoint's subnet blocks",
      [rule("deny-pe", 200, "Deny", "10.0.1.0/24")],
      endpoint,
      "deny-pe",
    ],
    ["a Deny to * blocks", [rule("deny-all", 4000, "Deny", "*")], endpoint, "deny-all"],
    [
      "an Allow at a lower priority number goes first",
      [rule("deny-all", 4000, "Deny", "*"), rule("allow-pe", 100, "Allow", "10.0.1.4")],
      endpoint,
      undefined,
    ],
    [
      "a Deny ahead of the Allow blocks, whatever the listed order",
      [rule("allow-pe", 300, "Allow", "10.0.1.4"), rule("deny-all", 150, "Deny", "*")],
      endpoint,
      "deny-all",
    ],
    [
      "a Deny on port 80 does not touch 443",
      [rule("deny-80", 100, "Deny", "*", { destinationPortRange: "80" })],
      endpoint,
      undefined,
    ],
    [
      "a Deny on UDP does not touch TCP",
      [rule("deny-udp", 100, "Deny", "*", { protocol: "Udp" })],
      endpoint,
      undefined,
    ],
    [
      "an inbound Deny does not touch the pull",
      [rule("deny-in", 100, "Deny", "*", { direction: "Inbound" })],
      endpoint,
      undefined,
    ],
    [
      "a Deny to another subnet does not touch the endpoint",
      [rule("deny-other", 100, "Deny", "10.0.2.0/24")],
      endpoint,
      undefined,
    ],
    [
      "a Deny to the registry's service tag blocks the public path",
      [rule("deny-acr", 100, "Deny", "AzureContainerRegistry")],
      registryTag,
      "deny-acr",
    ],
    [
      "a Deny in a port list or prefix list blocks",
      [
        rule("deny-list", 100, "Deny", "", {
          destinationPortRange: undefined,
          destinationPortRanges: ["80", "443"],
          destinationAddressPrefix: undefined,
          destinationAddressPrefixes: ["10.0.1.0/24"],
        }),
      ],
      endpoint,
      "deny-list",
    ],
  ];
  for (const [behaviour, rules, target, blocking] of cases) {
    it(behaviour, () => {
      const verdict = nsgDenies(nsg(rules), target);
      assert.notEqual(verdict, UNKNOWN);
      assert.equal(verdict === UNKNOWN ? "unknown" : verdict?.rule, blocking);
    });
  }
  it("is not known while the rules, or a priority, are not (a preview)", () => {
    assert.equal(nsgDenies(nsg(UNKNOWN_WIRE_VALUE), endpoint), UNKNOWN);
    assert.equal(nsgDenies(nsg([rule("deny-all", UNKNOWN_WIRE_VALUE, "Deny", "*")]), endpoint), UNKNOWN);
  });
  it("gives the blocking rule's priority and target, for the fix", () => {
    const block = nsgDenies(nsg([rule("deny-pe", 200, "Deny", "10.0.1.0/24")]), endpoint);
    assert.ok(known(block) && block);
    assert.deepEqual([block.priority, block.target], [200, "10.0.1.4/32"]);
  });
});
