/**
 * Why the program's plan leaves a finding: for each policy, why no declaration of the program
 * (AksAcrIntegration on one cluster and one registry) fixes it, and the config that would let the
 * program (or the pack) fix it. With the finding's own fix and the program's commands, the
 * preview report explains every finding it leaves.
 */
import type { Finding } from "./report";

export interface LeftReason {
  /** Why no declaration of the program fixes it. */
  why: string;
  /** The config that would let the program fix it (or make the finding certain), or why none does. */
  config: string;
}

const NS = "aks-acr-guard";
const WORKLOAD =
  "the workload is declared by the application's stack or manifests, not by this program, which declares only the " +
  "wiring between the cluster and the registry";
const REGISTRY_OWNED =
  "the setting belongs to the registry's own declaration; the program does not own the registry, and declaring it " +
  "would take over every other setting of it";
const UNVERIFIED =
  "the pack cannot tell from what it sees whether this cluster pulls from that registry, so the program does not " +
  "guess a fix for it";
const PULLS =
  "policy config `pulls` ([{cluster, registry}]) makes the pair certain, then the mandatory half judges it";

const REASONS: Record<string, LeftReason> = {
  "aks-acr-pull-role": {
    why:
      "the program declares the pull role only when it knows the pulling identity and the registry's role " +
      "assignment mode (a service-principal cluster's object id is not in its records); and a registry that refuses the " +
      "token the nodes' credential provider asks for is the registry's setting or the cluster's version, which it does not " +
      "own; nor can a role let a managed identity pull from another tenant's registry",
    config: `${NS}:principalObjectId (the pulling identity's object id); the registry's roleAssignmentMode read by the observer`,
  },
  "aks-acr-pull-role-unverified": {
    why:
      "what would make it certain is not in the recording (which registries the cluster pulls from, the registry's " +
      "role assignment mode, or the members of a group that holds the role), so the program does not guess a fix for it",
    config: `${PULLS}; a group's members or the registry's mode come from reading them (the finding's command)`,
  },
  "aks-sp-secret-valid": {
    why: "a service principal's secret lives in Microsoft Entra ID; no declaration of this program renews it",
    config:
      "none: reset the secret and update the cluster (the command below), or move the cluster to a managed identity",
  },
  "aks-sp-secret-expiring": {
    why: "a service principal's secret lives in Microsoft Entra ID; no declaration of this program renews it",
    config: "none: reset the secret before it expires (the command below)",
  },
  "aks-kubelet-identity-on-vmss": {
    why: "AKS owns the node pools' scale sets; only AKS can put the kubelet identity back on them",
    config: "none: reconcile the cluster (the command below)",
  },
  "k8s-acr-pull-secret-valid": {
    why: "the pull secret the workload names is declared outside this program",
    config:
      `${NS}:pullSecretNamespace declares a pull secret built from live credentials in that namespace; ` +
      "or pull with the kubelet identity and remove imagePullSecrets",
  },
  "k8s-acr-pull-secret-valid-unverified": {
    why:
      "the secret fails the pull only if the kubelet identity of its cluster cannot pull either, which the records do not " +
      "show; the program does not guess a fix for it",
    config: `${NS}:pullSecretNamespace declares a working pull secret; or grant the kubelet identity a pull role (the program's AcrPullAccess)`,
  },
  "k8s-acr-image-reference": { why: WORKLOAD, config: "none: correct the image in the workload" },
  "k8s-acr-image-reference-unverified": {
    why: WORKLOAD,
    config: "none: name the registry by its login server in the workload, or upgrade the node image",
  },
  "k8s-acr-registry-known": {
    why: WORKLOAD,
    config: "policy config `allowedLoginServers` if the registry exists; otherwise correct the image",
  },
  "acr-private-dns-link": {
    why:
      "the program links the zone it finds through the endpoint's DNS zone group, or the privatelink.azurecr.io " +
      "zones of the cluster's, registry's and endpoint VNets' subscriptions; it found none it can link",
    config: `${NS}:privateDnsZoneId (the privatelink.azurecr.io zone the cluster's names resolve in)`,
  },
  "acr-private-dns-link-unverified": {
    why: "the cluster's VNet resolves names through DNS servers the records do not show, so which zone answers is not known",
    config: `${PULLS}; the DNS servers' VNet in the recording (or a zone link from it)`,
  },
  "acr-firewall-aks-egress": {
    why: `${REGISTRY_OWNED}; the program prints the network-rule commands instead (RegistryEgressAccess)`,
    config: `${NS}:egressIps adds egress IPs the records do not show (an appliance's) to those commands`,
  },
  "acr-firewall-aks-egress-unverified": { why: UNVERIFIED, config: PULLS },
  "aks-acr-vnet-peering": {
    why:
      "the private path is someone else's to fix: a peering they manage that is not Connected (deleted and recreated " +
      "on their side), or a private endpoint connection only the registry's owner approves",
    config: "none: the commands below do it, run by who owns the peering or the registry",
  },
  "aks-acr-vnet-peering-unverified": { why: UNVERIFIED, config: PULLS },
  "aks-acr-hub-firewall": {
    why: "the program declares a hub firewall rule only for the firewall policy it is given",
    config: `${NS}:firewallPolicyId (the hub firewall policy the cluster's egress goes through)`,
  },
  "aks-acr-hub-firewall-unverified": {
    why: "the rules' sources or the pull pairs are not in the records, so the program does not guess a rule",
    config: `${PULLS}; ${NS}:firewallPolicyId`,
  },
  "aks-subnet-nsg-acr": {
    why: "network security groups and route tables belong to the network's owners, not to this program",
    config: "policy config `knownApplianceIps` when the route's next hop is the hub firewall; otherwise none",
  },
  "k8s-workload-os-selector": {
    why: WORKLOAD,
    config:
      "none: pin kubernetes.io/os in the workload (the pack's remediation does it where remediation runs)",
  },
  "k8s-image-architecture": {
    why: WORKLOAD,
    config: "none: publish the missing architecture, or pin the workload",
  },
  "k8s-workload-arch-selector": {
    why: WORKLOAD,
    config: `${NS}:images lets the observer read the image's platforms, which makes this check certain`,
  },
  "k8s-image-pull-qps": { why: WORKLOAD, config: "policy config `maxAlwaysPulls`" },
  "k8s-image-tag-pinned": { why: WORKLOAD, config: "none: pin the tag or digest in the workload" },
  "acr-admin-user-disabled": { why: REGISTRY_OWNED, config: "none" },
  "acr-network-rules-sku": { why: REGISTRY_OWNED, config: "none" },
  "acr-public-network-open": { why: REGISTRY_OWNED, config: "none" },
  "aks-acr-least-privilege": {
    why: "the broader role assignment is not the program's; removing someone's grant is left to its owner",
    config: "none",
  },
};

/** Every policy whose finding the report can leave has a reason. */
export const LEFT_POLICIES = Object.keys(REASONS);

/** A finding the plan leaves, with why, the config that would let the program fix it, and the fix. */
export interface LeftFinding {
  policy: string;
  level: string;
  resource: string;
  why: string;
  config: string;
  /** The program's commands for this policy; else the finding's own fix (its `Fix:` line). */
  fix: string[];
}

/** What the finding says to do: its `Fix:` line(s). */
function fixOf(message: string): string[] {
  const lines = message.split("\n").filter((l) => l.startsWith("Fix:"));
  return lines.length > 0
    ? lines.map((l) => l.slice("Fix:".length).trim())
    : [message.split("\n").pop() ?? ""];
}

export function leftFindings(after: Finding[], commands: string[]): LeftFinding[] {
  return after.map((f) => {
    const reason = REASONS[f.policy] ?? {
      why: "no component of this program declares what this policy checks",
      config: "none",
    };
    const own = commands
      .filter((c) => c.startsWith(`${f.policy}: `))
      .map((c) => `run: ${c.slice(f.policy.length + 2)}`);
    return {
      policy: f.policy,
      level: f.level,
      resource: f.resource,
      ...reason,
      fix: own.length > 0 ? own : fixOf(f.message),
    };
  });
}
