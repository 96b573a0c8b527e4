/**
 * The kubelet's own credential, before any token is asked for: a managed-identity cluster's node
 * scale sets must carry the kubelet identity (else the nodes have nothing to pull with), and a
 * service-principal cluster's secret must not have expired. Judged per cluster: the pack's
 * aks-kubelet-identity-on-vmss and aks-sp-secret-valid report them (a cluster the stack ties to no
 * registry too), and the path shows them as authenticate hops of each of the cluster's pulls.
 */
import { cmd } from "../findings/fix";
import { scaleSetsWithoutKubelet, servicePrincipalSecret } from "../identity/drift";
import { clusterArgs, KUBELET_401 } from "../plan/remediation";
import type { ClusterNode, Topology } from "../stack/topology";
import { known, readString, UNKNOWN } from "../stack/values";
import { HopVerdict, idOf } from "./hop";

export const VMSS_POLICY = "aks-kubelet-identity-on-vmss";
export const SP_SECRET_POLICY = "aks-sp-secret-valid";

export interface CredentialHop extends HopVerdict {
  policy: string;
  detail: string;
  evidence: string[];
}

export const day = (d: Date) => d.toISOString().slice(0, 10);

/** The command that gives a service-principal cluster a new secret, with the values the stack knows. */
export function spSecretCommand(c: ClusterNode): string {
  const clientId = known(c.identity.clientId) ? c.identity.clientId : "<client-id>";
  return (
    `SECRET=$(az ad sp credential reset --id ${clientId} --query password -o tsv) && ` +
    `az aks update-credentials ${clusterArgs(c)} --reset-service-principal --service-principal ${clientId} --client-secret "$SECRET"`
  );
}

export function spSecretFix(c: ClusterNode): string {
  return (
    `Fix: nothing declarative: run ${cmd(spSecretCommand(c))}; ` +
    `or move to a managed identity: ${cmd(`az aks update ${clusterArgs(c)} --enable-managed-identity`)}`
  );
}

/** The kubelet identity on every node-pool scale set of a managed-identity cluster; undefined for others. */
export function kubeletOnScaleSets(topo: Topology, cluster: ClusterNode): CredentialHop | undefined {
  if (cluster.identity.kind !== "kubelet") return undefined;
  const found = scaleSetsWithoutKubelet(topo, cluster);
  const kubelet = readString(cluster.res.props, "identityProfile", "kubeletidentity", "resourceId");
  const fails = found.missing.map(
    ({ scaleSetName }) =>
      `Pods on cluster '${cluster.label}' scheduled on node pool scale set '${scaleSetName}' will fail with ${KUBELET_401}: ` +
      `the scale set does not carry the kubelet identity (${typeof kubelet === "string" ? kubelet : "identityProfile.kubeletidentity.resourceId"}), ` +
      "so its nodes have no identity to pull with. AKS never removes it: something changed the scale set outside AKS " +
      "(Microsoft's article, cause 1, solution 4).\n" +
      `Fix: nothing to declare (AKS owns the scale set): reconcile with ${cmd(`az aks update ${clusterArgs(cluster)}`)}, and consider ` +
      `node resource group lockdown (${cmd(`az aks update ${clusterArgs(cluster)} --nrg-lockdown-restriction-level ReadOnly`)}).`,
  );
  return {
    policy: VMSS_POLICY,
    fails,
    ...(fails.length > 0 ? { symptom: KUBELET_401 } : {}),
    pending: found.pending,
    commands: fails.length ? [`az aks update ${clusterArgs(cluster)}`] : [],
    detail: fails.length
      ? `node pool scale set(s) ${found.missing.map((m) => `'${m.scaleSetName}'`).join(", ")} do not carry the kubelet identity`
      : "every node pool scale set shown carries the kubelet identity",
    evidence: [idOf(cluster.res), ...found.missing.map((m) => idOf(m.scaleSet))],
  };
}

/** The secret of a service-principal cluster, not expired at `now`; undefined for others. */
export function spSecretValid(topo: Topology, cluster: ClusterNode, now: Date): CredentialHop | undefined {
  if (cluster.identity.kind !== "servicePrincipal") return undefined;
  const secret = servicePrincipalSecret(topo, cluster);
  const base = { policy: SP_SECRET_POLICY, evidence: [idOf(cluster.res)] };
  if (secret === UNKNOWN)
    return {
      ...base,
      fails: [],
      pending: `${cluster.res.name}: service principal credentials`,
      detail: "the service principal's credentials wait on preview",
    };
  if (!secret) return { ...base, fails: [], detail: "the service principal's credentials are not shown" };
  if (secret.end > now)
    return { ...base, fails: [], detail: `the service principal's secret is valid until ${day(secret.end)}` };
  return {
    ...base,
    symptom: KUBELET_401,
    fails: [
      `Pods on cluster '${cluster.label}' fail with ${KUBELET_401}: the secret of its ${cluster.identity.label} expired on ` +
        `${day(secret.end)} (${secret.exact ? secret.source : `every credential it has has ended; the last to end was ${secret.source}`}).\n` +
        spSecretFix(cluster),
    ],
    commands: [spSecretCommand(cluster)],
    detail: `the service principal's secret expired on ${day(secret.end)}`,
  };
}
