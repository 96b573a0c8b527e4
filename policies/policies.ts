// Every policy of the pack, in CAUSES.md's order. Importing this list starts no server.
import { Policies, Policy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import type { Guides, PolicyGuide } from "./lib/guide";
import { reportedUrn } from "../core/stack/topology";
import { honouringSuppressions } from "./lib/suppressions";
import { acrAdminUserDisabled, guides as acrAdminUserDisabledGuides } from "./acr-admin-user-disabled";
import {
  acrFirewallAksEgress,
  acrFirewallAksEgressUnverified,
  guides as acrFirewallAksEgressGuides,
} from "./acr-firewall-aks-egress";
import { acrNetworkRulesSku, guides as acrNetworkRulesSkuGuides } from "./acr-network-rules-sku";
import {
  acrPrivateDnsLink,
  acrPrivateDnsLinkUnverified,
  guides as acrPrivateDnsLinkGuides,
} from "./acr-private-dns-link";
import {
  aksAcrVnetPeering,
  aksAcrVnetPeeringUnverified,
  guides as aksAcrVnetPeeringGuides,
} from "./aks-acr-vnet-peering";
import { acrPublicNetworkOpen, guides as acrPublicNetworkOpenGuides } from "./acr-public-network-open";
import { aksAcrLeastPrivilege, guides as aksAcrLeastPrivilegeGuides } from "./aks-acr-least-privilege";
import {
  aksAcrHubFirewall,
  aksAcrHubFirewallUnverified,
  guides as aksAcrHubFirewallGuides,
} from "./aks-acr-hub-firewall";
import {
  aksAcrPullRole,
  aksAcrPullRoleUnverified,
  guides as aksAcrPullRoleGuides,
} from "./aks-acr-pull-role";
import { aksSubnetNsgAcr, guides as aksSubnetNsgAcrGuides } from "./aks-subnet-nsg-acr";
import {
  aksKubeletIdentityOnVmss,
  guides as aksKubeletIdentityOnVmssGuides,
} from "./aks-kubelet-identity-on-vmss";
import { aksSpSecretExpiring, guides as aksSpSecretExpiringGuides } from "./aks-sp-secret-expiring";
import { aksSpSecretValid, guides as aksSpSecretValidGuides } from "./aks-sp-secret-valid";
import {
  k8sAcrImageReference,
  k8sAcrImageReferenceUnverified,
  guides as k8sAcrImageReferenceGuides,
} from "./k8s-acr-image-reference";
import {
  k8sAcrPullSecretValid,
  k8sAcrPullSecretValidUnverified,
  guides as k8sAcrPullSecretValidGuides,
} from "./k8s-acr-pull-secret-valid";
import { k8sAcrRegistryKnown, guides as k8sAcrRegistryKnownGuides } from "./k8s-acr-registry-known";
import { k8sImageTagPinned, guides as k8sImageTagPinnedGuides } from "./k8s-image-tag-pinned";
import { k8sWorkloadOsSelector, guides as k8sWorkloadOsSelectorGuides } from "./k8s-workload-os-selector";
import { k8sImageArchitecture, guides as k8sImageArchitectureGuides } from "./k8s-image-architecture";
import {
  k8sWorkloadArchSelector,
  guides as k8sWorkloadArchSelectorGuides,
} from "./k8s-workload-arch-selector";
import { k8sImagePullQps, guides as k8sImagePullQpsGuides } from "./k8s-image-pull-qps";

/**
 * A finding about a record an AksAcrObserver made is reported on the observer: the engine knows no
 * resource by the record's own mark, and would put it on the Stack.
 */
function reportingOnObservers(policy: Policy): Policy {
  const stack = policy as StackValidationPolicy;
  if (typeof stack.validateStack !== "function") return policy;
  const validate = stack.validateStack;
  const wrapped = Object.assign(
    (args: Parameters<typeof validate>[0], report: ReportViolation) =>
      validate(args, (message, urn) => report(message, urn === undefined ? undefined : reportedUrn(urn))),
    validate,
  );
  return { ...stack, validateStack: wrapped } as StackValidationPolicy;
}

export const policies: Policies = (<Policies>[
  aksAcrPullRole,
  aksAcrPullRoleUnverified,
  aksSpSecretValid,
  aksSpSecretExpiring,
  aksKubeletIdentityOnVmss,
  k8sAcrPullSecretValid,
  k8sAcrPullSecretValidUnverified,
  k8sAcrImageReference,
  k8sAcrImageReferenceUnverified,
  k8sAcrRegistryKnown,
  acrPrivateDnsLink,
  acrPrivateDnsLinkUnverified,
  acrFirewallAksEgress,
  acrFirewallAksEgressUnverified,
  aksAcrVnetPeering,
  aksAcrVnetPeeringUnverified,
  aksAcrHubFirewall,
  aksAcrHubFirewallUnverified,
  k8sWorkloadOsSelector,
  aksSubnetNsgAcr,
  k8sImageArchitecture,
  k8sWorkloadArchSelector,
  k8sImagePullQps,
  acrAdminUserDisabled,
  aksAcrLeastPrivilege,
  acrNetworkRulesSku,
  acrPublicNetworkOpen,
  k8sImageTagPinned,
]).map((p) => honouringSuppressions(reportingOnObservers(p)));

/**
 * Every policy's guide, by public name, as each policy's file declares it beside its check: the
 * article's cause, the pull steps it reports, and why the program's plan leaves its findings.
 */
export const GUIDES: Readonly<Record<string, PolicyGuide>> = Object.assign(
  {} as Guides,
  acrAdminUserDisabledGuides,
  acrFirewallAksEgressGuides,
  acrNetworkRulesSkuGuides,
  acrPrivateDnsLinkGuides,
  aksAcrVnetPeeringGuides,
  acrPublicNetworkOpenGuides,
  aksAcrLeastPrivilegeGuides,
  aksAcrHubFirewallGuides,
  aksAcrPullRoleGuides,
  aksSubnetNsgAcrGuides,
  aksKubeletIdentityOnVmssGuides,
  aksSpSecretExpiringGuides,
  aksSpSecretValidGuides,
  k8sAcrImageReferenceGuides,
  k8sAcrPullSecretValidGuides,
  k8sAcrRegistryKnownGuides,
  k8sImageTagPinnedGuides,
  k8sWorkloadOsSelectorGuides,
  k8sImageArchitectureGuides,
  k8sWorkloadArchSelectorGuides,
  k8sImagePullQpsGuides,
);
