import { StackValidationPolicy } from "@pulumi/policy";
import { hopsOf, pullPath } from "../core/path";
import { pullPairs } from "../core/stack/pull-pairs";
import { declaredPulls, ipv4List, ipv4ListSchema, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides } from "./lib/guide";

const NAME = "aks-subnet-nsg-acr";

export const aksSubnetNsgAcr: StackValidationPolicy = {
  name: NAME,
  description:
    "No NSG rule on the cluster's subnets denies outbound TCP 443 to the registry (its private-endpoint IPs, the " +
    "AzureContainerRegistry service tag or Internet) ahead of any allow, and no route sends that traffic to a virtual " +
    "appliance the stack knows nothing about.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#other-considerations",
  remediationSteps:
    "Add a higher-priority outbound allow (`az network nsg rule create ... --direction Outbound --access Allow " +
    "--destination-port-ranges 443`), or fix the route's next hop (`az network route-table route update`).",
  configSchema: {
    properties: {
      pulls: PULLS_SCHEMA,
      knownApplianceIps: ipv4ListSchema(
        "Private IPs of firewalls or appliances outside the stack that routes may legitimately point at.",
      ),
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<Record<string, unknown>>();
    const topo = topologyOf(args.resources);
    // The path's walk the network policies share (same options, unless knownApplianceIps is set).
    const options = {
      egressIps: [],
      authorize: false,
      knownApplianceIps: ipv4List(NAME, config, "knownApplianceIps"),
    };
    let pending: string | undefined;
    for (const pair of pullPairs(topo, declaredPulls(NAME, config))) {
      for (const h of hopsOf(pullPath(topo, pair, options), NAME)) {
        pending ??= h.pending;
        for (const m of h.unsure) reportViolation(m, pair.cluster.res.urn);
      }
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom:
      "ErrImagePull: 'Get \"https://<registry>.azurecr.io/v2/\": net/http: TLS handshake timeout' (or an i/o timeout on 443)",
    cause: "NSGs and route tables on the cluster subnets (TLS handshake timeout through an appliance)",
    steps: ["route"],
    left: {
      why: "network security groups and route tables belong to the network's owners, not to this program",
      config:
        "policy config `knownApplianceIps` when the route's next hop is the hub firewall; otherwise none",
    },
  },
};
