import { cmd, cmds } from "../core/findings/fix";
import { StackValidationPolicy } from "@pulumi/policy";
import { addressCount, parseCidr } from "../core/network/cidr";
import { clusterEgress } from "../core/network/egress";
import { pullPairs } from "../core/stack/pull-pairs";
import { RegistryNode, registryPrivateEndpoints, Topology } from "../core/stack/topology";
import { read, readArray, readString, known, UNKNOWN } from "../core/stack/values";
import { PolicyConfigError } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides, REGISTRY_OWNED } from "./lib/guide";

const NAME = "acr-public-network-open";

export const acrPublicNetworkOpen: StackValidationPolicy = {
  name: NAME,
  description:
    "No IP rule opens the registry to everyone (0.0.0.0/0) or to very wide ranges, and a registry reached through a " +
    "private endpoint does not leave public access open (defaultAction: Allow).",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-access-selected-networks",
  remediationSteps:
    "Allow only the cluster's egress IPs (aks-acr-guard's RegistryEgressAccess, or `az acr network-rule add`), remove " +
    "wide rules with `az acr network-rule remove`, and on private-endpoint registries set " +
    "`az acr update -n <registry> --public-network-enabled false` or `--default-action Deny`.",
  configSchema: {
    properties: {
      minPrefixLength: {
        type: "integer",
        minimum: 0,
        maximum: 32,
        default: 16,
        description: "IP rules with a shorter prefix than this (more addresses) are reported as very wide.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<Record<string, unknown>>();
    const minPrefix = config.minPrefixLength ?? 16;
    if (typeof minPrefix !== "number" || !Number.isInteger(minPrefix) || minPrefix < 0 || minPrefix > 32) {
      throw new PolicyConfigError(NAME, "minPrefixLength", minPrefix, "an integer from 0 to 32");
    }
    const topo = topologyOf(args.resources);
    let pending: string | undefined;
    for (const reg of topo.registries) {
      const props = reg.res.props;
      const defaultAction = readString(props, "networkRuleSet", "defaultAction");
      const publicAccess = readString(props, "publicNetworkAccess");
      const ipRules = readArray(props, "networkRuleSet", "ipRules");
      if (defaultAction === UNKNOWN) pending ??= `${reg.res.name}: networkRuleSet.defaultAction`;
      if (ipRules === UNKNOWN) pending ??= `${reg.res.name}: networkRuleSet.ipRules`;
      const publicDisabled = known(publicAccess) && publicAccess.toLowerCase() === "disabled";
      if (publicDisabled) continue;
      const denies = known(defaultAction) && defaultAction.toLowerCase() === "deny";
      const problems: string[] = [];
      const wide: string[] = [];
      if (denies && known(ipRules)) {
        for (const rule of ipRules) {
          const range =
            read(rule, "iPAddressOrRange") ?? read(rule, "ipAddressOrRange") ?? read(rule, "value");
          const cidr = typeof range === "string" ? parseCidr(range) : undefined;
          if (!cidr) continue;
          if (cidr.prefix === 0 || cidr.prefix < minPrefix) wide.push(range as string);
          if (cidr.prefix === 0)
            problems.push(
              `IP rule ${range} lets every address on the internet pull (and push, with credentials)`,
            );
          else if (cidr.prefix < minPrefix) {
            problems.push(
              `IP rule ${range} admits ${addressCount(cidr).toLocaleString("en")} addresses (wider than /${minPrefix})`,
            );
          }
        }
      }
      const pes = registryPrivateEndpoints(topo, reg);
      const decidable = defaultAction !== UNKNOWN && publicAccess !== UNKNOWN;
      if (!denies && decidable && pes.length > 0) {
        problems.push(
          `public access is left open (defaultAction: ${known(defaultAction) ? defaultAction : "Allow"}) although the registry ` +
            `is reached through private endpoint '${pes[0].name}'`,
        );
      }
      if (problems.length === 0) continue;
      reportViolation(
        `Registry '${reg.label}': ${problems.join("; ")}.\n` +
          `Fix: admit only the clusters' egress IPs (aks-acr-guard's RegistryEgressAccess${admitCommands(topo, reg)})` +
          (wide.length > 0
            ? `, remove the wide rules (${cmds(wide.map((w) => `az acr network-rule remove -n ${reg.label} --ip-address ${w}`))})`
            : "") +
          (pes.length > 0
            ? `, and close the public endpoint: ${cmd(`az acr update -n ${reg.label} --public-network-enabled false`)} (first ` +
              "make sure every cluster that pulls resolves the private endpoint, with no acr-private-dns-link or " +
              "aks-acr-vnet-peering finding once the public path is gone: a cluster that resolves the public name pulls " +
              "there today, and closing it breaks its pulls)"
            : ""),
        reg.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** The commands that admit the egress IPs of the clusters that pull from `reg`, where the stack shows them. */
function admitCommands(topo: Topology, reg: RegistryNode): string {
  const ips = new Set<string>();
  for (const pair of pullPairs(topo)) {
    if (pair.registry !== reg) continue;
    const egress = clusterEgress(topo, pair.cluster);
    if (egress && egress !== UNKNOWN) egress.ips.forEach((ip) => ips.add(ip));
  }
  return ips.size > 0
    ? `, or ${cmds([...ips].map((ip) => `az acr network-rule add -n ${reg.label} --ip-address ${ip}`))}`
    : "; the stack shows no egress IP of a cluster that pulls from it";
}

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    cause: "Hygiene: registry open to everyone",
    left: { why: REGISTRY_OWNED, config: "none" },
  },
};
