import { StackValidationPolicy } from "@pulumi/policy";
import { PullVerdict, evaluatePullAccess } from "../core/pull-access";
import { pullPairs } from "../core/pull-pairs";
import { clusterArgs, KUBELET_401, loginServerOf, registryRef, registryScope } from "../core/remediation";
import { pullRoleFor, PULL_ACTION, ABAC_PULL_DATA_ACTION } from "../core/roles";
import { ClusterNode, RegistryNode } from "../core/topology";
import { known } from "../core/values";
import { declaredPulls, GUID_LIST_SCHEMA, guidList, PULLS_SCHEMA } from "./lib/config";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "aks-acr-pull-role";

export const aksAcrPullRole: StackValidationPolicy = {
  name: NAME,
  description:
    "The identity the kubelet pulls with (kubelet managed identity, or the cluster's service principal) " +
    "holds a role that grants pull on each registry the cluster pulls from.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#cause-1-401-unauthorized-error",
  remediationSteps:
    "Assign AcrPull (on a registry in ABAC mode: Container Registry Repository Reader) to the kubelet identity " +
    "at the registry scope: declare aks-acr-guard's AcrPullAccess component, or run " +
    "`az aks update -g <group> -n <cluster> --attach-acr <registry>`.",
  configSchema: {
    properties: {
      pullRoleDefinitionIds: {
        ...GUID_LIST_SCHEMA,
        description:
          "GUIDs of custom roles defined outside the stack that grant Microsoft.ContainerRegistry/registries/pull/read.",
      },
      pulls: PULLS_SCHEMA,
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<Record<string, unknown>>();
    const extraPullRoleGuids = guidList(NAME, config, "pullRoleDefinitionIds");
    const topo = topologyOf(args.resources);
    let pending: string | undefined;
    for (const pair of pullPairs(topo, declaredPulls(NAME, config))) {
      const verdict = evaluatePullAccess(topo, pair, { extraPullRoleGuids });
      if (verdict.status === "pending") pending ??= verdict.path;
      if (verdict.status === "missing")
        reportViolation(message(pair.cluster, pair.registry, verdict), pair.cluster.res.urn);
    }
    if (pending) deferToPreview(pending);
  },
};

function message(c: ClusterNode, r: RegistryNode, v: Extract<PullVerdict, { status: "missing" }>): string {
  const role = pullRoleFor(v.mode);
  const action = v.mode === "abac" ? ABAC_PULL_DATA_ACTION : PULL_ACTION;
  const lines = [
    `Pods on cluster '${c.label}' pulling from '${loginServerOf(r)}' will fail with ${KUBELET_401}.`,
    `The cluster's ${c.identity.label} holds no role on registry '${r.label}' (or a scope above it) that grants ${action}.`,
  ];
  if (v.mode === "abac") {
    lines.push(
      `Registry '${r.label}' uses ABAC repository permissions (roleAssignmentMode: AbacRepositoryPermissions), ` +
        "where AcrPull and AcrPush are not honoured.",
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
  const assignee =
    c.identity.kind === "kubelet"
      ? known(c.identity.objectId)
        ? c.identity.objectId
        : `$(az aks show ${clusterArgs(c)} --query identityProfile.kubeletidentity.objectId -o tsv)`
      : known(c.identity.objectId)
        ? c.identity.objectId
        : `$(az ad sp show --id ${known(c.identity.clientId) ? c.identity.clientId : "<client-id>"} --query id -o tsv)`;
  const assign =
    `az role assignment create --assignee-object-id ${assignee} --assignee-principal-type ServicePrincipal ` +
    `--role "${role.name}" --scope ${registryScope(r)}`;
  lines.push(
    v.mode === "abac"
      ? `Fix: declare aks-acr-guard's AcrPullAccess for this cluster and registry (it assigns ${role.name} at the registry scope), or run: ${assign}`
      : `Fix: declare aks-acr-guard's AcrPullAccess for this cluster and registry (it assigns ${role.name} at the registry scope), ` +
          `or run: az aks update ${clusterArgs(c)} --attach-acr ${registryRef(r)}  (or: ${assign})`,
  );
  return lines.join("\n");
}
