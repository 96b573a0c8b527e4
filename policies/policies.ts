// Every policy of the pack, in CAUSES.md's order. Importing this list starts no server.
import { Policies, Policy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { reportedUrn } from "../core/topology";
import { honouringSuppressions } from "./lib/suppressions";
import { acrAdminUserDisabled } from "./acr-admin-user-disabled";
import { acrFirewallAksEgress, acrFirewallAksEgressUnverified } from "./acr-firewall-aks-egress";
import { acrNetworkRulesSku } from "./acr-network-rules-sku";
import { acrPrivateDnsLink, acrPrivateDnsLinkUnverified } from "./acr-private-dns-link";
import { aksAcrVnetPeering, aksAcrVnetPeeringUnverified } from "./aks-acr-vnet-peering";
import { acrPublicNetworkOpen } from "./acr-public-network-open";
import { aksAcrLeastPrivilege } from "./aks-acr-least-privilege";
import { aksAcrHubFirewall, aksAcrHubFirewallUnverified } from "./aks-acr-hub-firewall";
import { aksAcrPullRole, aksAcrPullRoleUnverified } from "./aks-acr-pull-role";
import { aksSubnetNsgAcr } from "./aks-subnet-nsg-acr";
import { aksKubeletIdentityOnVmss } from "./aks-kubelet-identity-on-vmss";
import { aksSpSecretExpiring } from "./aks-sp-secret-expiring";
import { aksSpSecretValid } from "./aks-sp-secret-valid";
import { k8sAcrImageReference, k8sAcrImageReferenceUnverified } from "./k8s-acr-image-reference";
import { k8sAcrPullSecretValid, k8sAcrPullSecretValidUnverified } from "./k8s-acr-pull-secret-valid";
import { k8sAcrRegistryKnown } from "./k8s-acr-registry-known";
import { k8sImageTagPinned } from "./k8s-image-tag-pinned";
import { k8sWorkloadOsSelector } from "./k8s-workload-os-selector";
import { k8sImageArchitecture } from "./k8s-image-architecture";
import { k8sWorkloadArchSelector } from "./k8s-workload-arch-selector";
import { k8sImagePullQps } from "./k8s-image-pull-qps";

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
