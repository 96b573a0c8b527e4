import { cmd } from "../core/findings/fix";
import { StackValidationPolicy } from "@pulumi/policy";
import { registryPrivateEndpoints } from "../core/stack/topology";
import { read, readArray, readString, UNKNOWN, known } from "../core/stack/values";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides, REGISTRY_OWNED } from "./lib/guide";

export const acrNetworkRulesSku: StackValidationPolicy = {
  name: "acr-network-rules-sku",
  description:
    "A registry with network rules (IP rules, a Deny default action, public access disabled) or a private endpoint " +
    "is Premium: on Basic and Standard they are rejected or ignored.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-skus",
  remediationSteps: "Set the registry's sku to Premium, or run `az acr update -n <registry> --sku Premium`.",
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    let pending: string | undefined;
    for (const reg of topo.registries) {
      const sku = readString(reg.res.props, "sku", "name");
      if (sku === UNKNOWN) {
        pending ??= `${reg.res.name}: sku.name`;
        continue;
      }
      if (sku === undefined || sku.toLowerCase() === "premium") continue;
      const needs: string[] = [];
      const defaultAction = readString(reg.res.props, "networkRuleSet", "defaultAction");
      if (known(defaultAction) && defaultAction.toLowerCase() === "deny")
        needs.push("networkRuleSet.defaultAction: Deny");
      const ipRules = readArray(reg.res.props, "networkRuleSet", "ipRules");
      if (known(ipRules) && ipRules.length > 0)
        needs.push(`${ipRules.length} IP rule(s) in networkRuleSet.ipRules`);
      const pna = read(reg.res.props, "publicNetworkAccess");
      if (typeof pna === "string" && pna.toLowerCase() === "disabled")
        needs.push("publicNetworkAccess: Disabled");
      for (const pe of registryPrivateEndpoints(topo, reg)) needs.push(`private endpoint '${pe.name}'`);
      if (needs.length === 0) continue;
      reportViolation(
        `Registry '${reg.label}' is ${sku}, but ${needs.join(", ")} need(s) Premium: ARM rejects them or the registry ignores ` +
          "them, so the network path the cluster is meant to pull over does not exist (pulls then fail with " +
          '"403 Forbidden" or time out on 443, or go over the public endpoint the rules were meant to close).\n' +
          `Fix: set sku: { name: "Premium" } on the registry, or run: ${cmd(`az acr update -n ${reg.label} --sku Premium`)}`,
        reg.res.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  "acr-network-rules-sku": {
    cause: "Network rules need the Premium SKU",
    left: { why: REGISTRY_OWNED, config: "none" },
  },
};
