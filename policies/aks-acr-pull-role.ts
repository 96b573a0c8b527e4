import { cmd } from "../core/findings/fix";
import { StackValidationPolicy } from "@pulumi/policy";
import { hopsOf, pullPath } from "../core/path";
import { PullVerdict, evaluatePullAccess } from "../core/identity/pull-access";
import { pullPairs } from "../core/stack/pull-pairs";
import {
  clusterArgs,
  KUBELET_401,
  loginServerOf,
  registryRef,
  registryScope,
} from "../core/plan/remediation";
import { pullRoleFor, PULL_ACTION, ABAC_PULL_DATA_ACTION } from "../core/identity/roles";
import { ClusterNode, hasObserver, RegistryNode, Topology } from "../core/stack/topology";
import { known, readString } from "../core/stack/values";
import { declaredPulls, GUID_LIST_SCHEMA, guidList, PULLS_SCHEMA } from "./lib/config";
import { Evaluation, Violation } from "./lib/stack";
import { pairPolicies } from "./lib/pair-check";
import { Guides, NS, PULLS } from "./lib/guide";

const NAME = "aks-acr-pull-role";

/** Both halves read the same config: which roles pull, and which cluster pulls from which registry. */
const CONFIG_SCHEMA: StackValidationPolicy["configSchema"] = {
  properties: {
    pullRoleDefinitionIds: {
      ...GUID_LIST_SCHEMA,
      description:
        "GUIDs of custom roles defined outside the stack that grant Microsoft.ContainerRegistry/registries/pull/read.",
    },
    pulls: PULLS_SCHEMA,
  },
};

/**
 * The check and its `-unverified` half, as every pair check is built (policies/lib/pair-check.ts),
 * with the authorize step's verdicts as its evaluation.
 */
export const [aksAcrPullRole, aksAcrPullRoleUnverified] = pairPolicies({
  name: NAME,
  description:
    "The identity the kubelet pulls with (kubelet managed identity, or the cluster's service principal) " +
    "holds a role that grants pull on each registry the cluster pulls from; and the registry accepts the token its " +
    "credential provider asks for (a registry that refuses ARM-audience tokens, and node pools before Kubernetes 1.30).",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#cause-1-401-unauthorized-error",
  remediationSteps:
    "Assign AcrPull (on a registry in ABAC mode: Container Registry Repository Reader) to the kubelet identity " +
    "at the registry scope: declare aks-acr-guard's AcrPullAccess component, or run " +
    "`az aks update -g <group> -n <cluster> --attach-acr <registry>`.",
  unverified: {
    description:
      "A cluster the stack cannot tie to its registries (no workload on a provider made from its kubeconfig, no role " +
      "assignment, no pulls config) whose pulling identity holds no pull role on them: a pull would fail with 401 if it " +
      "pulls from one. Reported once per cluster. Also a pull through AcrPull alone from a registry whose record does not " +
      "say its roleAssignmentMode (AcrPull is not honoured in ABAC mode), and a pull role granted to an Entra group whose " +
      "members the stack does not show; and a registry that refuses ARM-audience tokens pulled by node pools on 1.30 to " +
      "1.32, whose credential provider asks for ACR-audience tokens only from its March 2025 patches on. Organisations " +
      "that require the pull wiring in " +
      "code set it mandatory.",
    remediationSteps:
      "Say which registries the cluster pulls from (policy config `pulls`, or workloads deployed through a Kubernetes " +
      "provider made from the cluster's kubeconfig); then aks-acr-pull-role judges those pairs for certain. Where it does " +
      "pull from one, `az aks update -g <group> -n <cluster> --attach-acr <registry>`.",
  },
  configSchema: CONFIG_SCHEMA,
  evaluate: decide,
});

/**
 * Every pull pair's verdict: the certain pairs' missing roles (mandatory), and, once per cluster,
 * the guessed pairs whose registries its identity cannot pull from (the unverified half).
 */
function decide(topo: Topology, config: Record<string, unknown>): Evaluation {
  const extraPullRoleGuids = guidList(NAME, config, "pullRoleDefinitionIds");
  let pending: string | undefined;
  const certain: Violation[] = [];
  const guessed = new Map<ClusterNode, RegistryNode[]>();
  const modeUnknown: Violation[] = [];
  const options = { pullRoleDefinitionIds: [...extraPullRoleGuids] };
  for (const pair of pullPairs(topo, declaredPulls(NAME, config))) {
    // The authenticate hop (the token the credential provider asks for), from the pull path.
    for (const h of hopsOf(pullPath(topo, pair, options), NAME)) {
      if (h.step !== "authenticate") continue;
      if (h.pending) pending ??= h.pending;
      const on = (message: string): Violation => ({ message, urn: pair.cluster.res.urn });
      if (pair.certain) {
        certain.push(...h.fails.map(on));
        modeUnknown.push(...h.unsure.map(on));
      } else
        modeUnknown.push(
          ...[...h.fails, ...h.unsure].map((m) =>
            on(
              `${m}\n(Not certain: nothing in this stack shows that cluster '${pair.cluster.label}' pulls from ` +
                `'${pair.registry.label}'; set the \`pulls\` config to make it certain.)`,
            ),
          ),
        );
    }
    const verdict = evaluatePullAccess(topo, pair, { extraPullRoleGuids });
    if (verdict.status === "pending") pending ??= verdict.path;
    if (verdict.status === "modeUnknown" && pair.certain)
      modeUnknown.push(modeMessage(pair.cluster, pair.registry, verdict));
    if (verdict.status === "viaGroup" && pair.certain)
      modeUnknown.push(groupMessage(pair.cluster, pair.registry, verdict));
    if (verdict.status === "unread" && pair.certain)
      modeUnknown.push({
        message:
          `Pods on cluster '${pair.cluster.label}' will fail with ${KUBELET_401} unless a role assignment the recording could not ` +
          `read grants its ${pair.cluster.identity.label} a pull role on '${pair.registry.label}': none it shows does, and the role ` +
          `assignments that apply at ${verdict.scope} could not be read (its coverage says so).\n` +
          `Fix: check with: ${cmd(
            `az role assignment list --scope ${registryScope(pair.registry)} --include-inherited ` +
              `--assignee ${known(pair.cluster.identity.objectId) && pair.cluster.identity.objectId ? pair.cluster.identity.objectId : "<kubelet-object-id>"}`,
          )}; ` +
          "if none pulls, declare aks-acr-guard's AcrPullAccess for this cluster and registry.",
        urn: pair.cluster.res.urn,
      });
    if (verdict.status === "crossTenant") {
      const m = crossTenantMessage(pair.cluster, pair.registry, verdict, pair.certain ? "will" : "would");
      if (pair.certain) certain.push({ message: m, urn: pair.cluster.res.urn });
      else
        modeUnknown.push({
          message:
            `${m}\n(Not certain: nothing in this stack shows that cluster '${pair.cluster.label}' pulls from ` +
            `'${pair.registry.label}'; set the \`pulls\` config to make it certain.)`,
          urn: pair.cluster.res.urn,
        });
      continue;
    }
    if (verdict.status !== "missing") continue;
    if (pair.certain)
      certain.push({
        message: message(pair.cluster, pair.registry, verdict, hasObserver(topo)),
        urn: pair.cluster.res.urn,
      });
    else guessed.set(pair.cluster, [...(guessed.get(pair.cluster) ?? []), pair.registry]);
  }
  const unverified = [...guessed].map(([c, unsorted]) => {
    const registries = [...unsorted].sort((a, b) => a.label.localeCompare(b.label));
    return {
      message:
        `Pods on cluster '${c.label}' will fail with ${KUBELET_401} if they pull from ` +
        `${registries.map((r) => `'${r.label}'`).join(", ")}: its ${c.identity.label} holds no pull role on ` +
        `${registries.length > 1 ? "any of them" : "it"}. Nothing in this stack shows which registries it pulls from ` +
        "(no workload on a Kubernetes provider made from its kubeconfig, no role assignment to its identities, no `pulls` config), " +
        "so this is not certain.\n" +
        "Fix: if it pulls from one, declare aks-acr-guard's AcrPullAccess for it; to make this check certain, set this " +
        `policy's and aks-acr-pull-role's 'pulls' config ([{"cluster": "${c.label}", "registry": "<registry>"}]), or deploy ` +
        "its workloads through a Kubernetes provider made from its kubeconfig.",
      urn: c.res.urn,
    };
  });
  return { certain, unverified: [...unverified, ...modeUnknown], pending };
}

/** The command that says a registry's role assignment mode. */
const showMode = (r: RegistryNode) =>
  `az acr show ${r.id ? `--ids ${r.id.raw}` : `-n ${r.label}`} --query roleAssignmentMode`;

/** The command that assigns `roleName` at the registry to the identity the cluster pulls with. */
function assignCommand(c: ClusterNode, r: RegistryNode, roleName: string): string {
  const assignee =
    c.identity.kind === "kubelet"
      ? known(c.identity.objectId)
        ? c.identity.objectId
        : `$(az aks show ${clusterArgs(c)} --query identityProfile.kubeletidentity.objectId -o tsv)`
      : known(c.identity.objectId)
        ? c.identity.objectId
        : `$(az ad sp show --id ${known(c.identity.clientId) ? c.identity.clientId : "<client-id>"} --query id -o tsv)`;
  return (
    `az role assignment create --assignee-object-id ${assignee} --assignee-principal-type ServicePrincipal ` +
    `--role "${roleName}" --scope ${registryScope(r)}`
  );
}

/** A pull that works only if the registry is not in ABAC mode, which its record does not say. */
function modeMessage(
  c: ClusterNode,
  r: RegistryNode,
  v: Extract<PullVerdict, { status: "modeUnknown" }>,
): Violation {
  const reader = pullRoleFor("abac").name;
  return {
    message:
      `Pods on cluster '${c.label}' pulling from '${loginServerOf(r)}' will fail with ${KUBELET_401} if registry ` +
      `'${r.label}' uses ABAC repository permissions: its ${c.identity.label} pulls through ${v.role} ` +
      `(role assignment '${v.via.res.name}'), which ABAC registries do not honour, and the record of the registry does ` +
      "not say its roleAssignmentMode (it was read at an API version before 2025-05-01-preview), so this is not certain.\n" +
      `Fix: check with ${cmd(showMode(r))}; if it is AbacRepositoryPermissions, declare aks-acr-guard's AcrPullAccess ` +
      `with abacRepositoryPermissions: true (it assigns ${reader}), or run: ${cmd(assignCommand(c, r, reader))}. Re-reading ` +
      "the registry (AksAcrObserver reads it at 2025-05-01-preview) makes this check certain.",
    urn: c.res.urn,
  };
}

/** A kubelet managed identity pulling from another tenant's registry: no role can make it work. */
function crossTenantMessage(
  c: ClusterNode,
  r: RegistryNode,
  v: Extract<PullVerdict, { status: "crossTenant" }>,
  will: string,
): string {
  return (
    `Pods on cluster '${c.label}' pulling from '${loginServerOf(r)}' ${will} fail with ${KUBELET_401}: registry ` +
    `'${r.label}' is in Microsoft Entra tenant ${v.registryTenant}, the cluster and its ${c.identity.label} in ` +
    `${v.clusterTenant}, and a managed identity cannot get a token for another tenant, so no role on the registry lets ` +
    "it pull (a role assignment to it there fails with PrincipalNotFound).\n" +
    "Fix: pull with a credential of the registry's tenant: an image pull secret from a repository-scoped token " +
    `(${cmd(`az acr token create -r ${r.label} -n ${c.label}-pull --repository <repository> content/read metadata/read`)}, then ` +
    "aks-acr-guard's AcrImagePullSecret with tokenName and tokenPassword), or run the cluster with the service principal " +
    "of a multi-tenant application whose service principal in the registry's tenant holds AcrPull."
  );
}

function groupMessage(
  c: ClusterNode,
  r: RegistryNode,
  v: Extract<PullVerdict, { status: "viaGroup" }>,
): Violation {
  const group = known(v.via.principalId) ? v.via.principalId : "<group-object-id>";
  return {
    message:
      `Pods on cluster '${c.label}' pulling from '${loginServerOf(r)}' will fail with ${KUBELET_401} unless its ` +
      `${c.identity.label} is a member of the Entra group that holds ${v.role} on registry '${r.label}' (role assignment ` +
      `'${v.via.res.name}', principal ${group}): Azure RBAC honours group membership, but this stack does not show the ` +
      "group's members, so this is not certain.\n" +
      `Fix: check with ${cmd(`az ad group member check --group ${group} --member-id ${known(c.identity.objectId) ? c.identity.objectId : "<kubelet-object-id>"}`)}; ` +
      "declare the membership (azuread GroupMember) to make this check certain, or declare aks-acr-guard's AcrPullAccess " +
      `for the identity itself (${cmd(assignCommand(c, r, v.role))}).`,
    urn: c.res.urn,
  };
}

function message(
  c: ClusterNode,
  r: RegistryNode,
  v: Extract<PullVerdict, { status: "missing" }>,
  /** An observer watches the stack's environment: a grant made outside it would be in `v.outside`. */
  observed: boolean,
): string {
  // A record that does not say its mode: no role held pulls in either, and the fix names both.
  const mode = v.mode;
  const modeKnown = known(mode);
  const role = pullRoleFor(modeKnown ? mode : "rbac");
  const action =
    v.mode === "abac"
      ? ABAC_PULL_DATA_ACTION
      : modeKnown
        ? PULL_ACTION
        : `${PULL_ACTION} (or, in ABAC mode, ${ABAC_PULL_DATA_ACTION})`;
  const outsideIds = v.outside.map((a) => readString(a.res.props, "id")).filter(known);
  const lines = [
    outsideIds.length > 0
      ? `Cluster '${c.label}' pulls from '${loginServerOf(r)}' only through a pull role granted outside this stack ` +
        `(${outsideIds.join(", ")}, as the observer recorded it). This stack declares both and owns that wiring: ` +
        `deployed from it alone, pods would fail with ${KUBELET_401}.`
      : `Pods on cluster '${c.label}' pulling from '${loginServerOf(r)}' will fail with ${KUBELET_401}.`,
    `The cluster's ${c.identity.label} holds no role on registry '${r.label}' (or a scope above it) that grants ${action}.`,
  ];
  if (v.mode === "abac") {
    lines.push(
      `Registry '${r.label}' uses ABAC repository permissions (roleAssignmentMode: AbacRepositoryPermissions), ` +
        "where AcrPull and AcrPush are not honoured.",
    );
  }
  if (!modeKnown) {
    lines.push(
      `The record of registry '${r.label}' does not say its roleAssignmentMode (it was read at an API version before ` +
        `2025-05-01-preview), so no role is assumed to pull: check with ${cmd(showMode(r))}.`,
    );
  }
  for (const i of v.ineffective) {
    lines.push(
      `It holds ${i.role} (role assignment '${i.assignment.res.name}'), which does not grant pull here.`,
    );
  }
  for (const m of v.misdirected) {
    lines.push(
      `${m.role} on the registry is held by ${m.holder} (role assignment '${m.assignment.res.name}').`,
    );
  }
  const assign = assignCommand(c, r, role.name);
  if (outsideIds.length > 0)
    lines.push(
      `Adopt it into the stack: pulumi import azure-native:authorization:RoleAssignment <name> ${outsideIds[0]}`,
    );
  else if (!observed)
    lines.push(
      "If the role was granted outside this stack (--attach-acr, another stack), the stack does not own it: " +
        "adopt it with `pulumi import azure-native:authorization:RoleAssignment <name> <role-assignment-id>`.",
    );
  lines.push(
    !modeKnown
      ? `Fix: declare aks-acr-guard's AcrPullAccess for this cluster and registry (abacRepositoryPermissions: true on an ` +
          `ABAC registry), or run: ${cmd(assign)} (on an ABAC registry: ${cmd(assignCommand(c, r, pullRoleFor("abac").name))})`
      : v.mode === "abac"
        ? `Fix: declare aks-acr-guard's AcrPullAccess for this cluster and registry (it assigns ${role.name} at the registry scope), or run: ${cmd(assign)}`
        : `Fix: declare aks-acr-guard's AcrPullAccess for this cluster and registry (it assigns ${role.name} at the registry scope), ` +
          `or run: ${cmd(`az aks update ${clusterArgs(c)} --attach-acr ${registryRef(r)}`)} (or: ${cmd(assign)})`,
  );
  return lines.join("\n");
}

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: KUBELET_401,
    cause: "401 Unauthorized: no pull role for the kubelet identity (solutions 1 and 3)",
    steps: ["authenticate", "authorize"],
    left: {
      why:
        "the program declares the pull role only when it knows the pulling identity and the registry's role " +
        "assignment mode (a service-principal cluster's object id is not in its records); and a registry that refuses the " +
        "token the nodes' credential provider asks for is the registry's setting or the cluster's version, which it does not " +
        "own; nor can a role let a managed identity pull from another tenant's registry",
      config: `${NS}:principalObjectId (the pulling identity's object id); the registry's roleAssignmentMode read by the observer`,
    },
  },
  [`${NAME}-unverified`]: {
    symptom: KUBELET_401,
    cause:
      "401 Unauthorized: a pull role the stack cannot confirm (a guessed pair, an unrecorded ABAC mode, a group's members; unverified)",
    left: {
      why:
        "what would make it certain is not in the recording (which registries the cluster pulls from, the registry's " +
        "role assignment mode, or the members of a group that holds the role), so the program does not guess a fix for it",
      config: `${PULLS}; a group's members or the registry's mode come from reading them (the finding's command)`,
    },
  },
};
