/**
 * What drifts outside a stack and breaks pulls with 401: the kubelet identity removed from a
 * node-pool scale set (solution 4), and an expired service-principal secret (solution 2). Both are
 * read from declared resources or from the records AksAcrObserver registers (ARM/Graph JSON).
 */
import { ArmId, parseArmId, resourceName } from "../stack/arm-id";
import { ClusterNode, linked, perTopology, StackResource, Topology } from "../stack/topology";
import {
  isUnknown,
  Known,
  known,
  read,
  readArray,
  readObject,
  readString,
  sameText,
  UNKNOWN,
} from "../stack/values";

export interface MissingKubeletIdentity {
  scaleSet: StackResource;
  scaleSetName: string;
}

/**
 * Scale sets in the cluster's node resource group that do not carry the kubelet identity;
 * `pending` when a value that decides it is not known yet.
 */
export function scaleSetsWithoutKubelet(
  topo: Topology,
  cluster: ClusterNode,
): { missing: MissingKubeletIdentity[]; pending?: string } {
  const missing: MissingKubeletIdentity[] = [];
  if (cluster.identity.kind !== "kubelet") return { missing };
  const kubeletId = readString(cluster.res.props, "identityProfile", "kubeletidentity", "resourceId");
  const nodeRg = readString(cluster.res.props, "nodeResourceGroup");
  if (kubeletId === UNKNOWN || nodeRg === UNKNOWN)
    return { missing, pending: `${cluster.res.name}: identityProfile` };
  const kubelet = known(kubeletId) ? parseArmId(kubeletId) : undefined;
  if (!kubelet || !known(nodeRg)) return { missing };
  let pending: string | undefined;
  // Scale sets by resource group (lower case), once per topology.
  const byGroup = perTopology(topo, "drift:scale-sets-by-group", () => {
    const m = new Map<string, { vmss: StackResource; id: ArmId }[]>();
    for (const vmss of topo.byKind.get("virtualMachineScaleSet") ?? []) {
      const id = parseArmId(vmss.props["id"]);
      if (!id?.resourceGroup) continue;
      const k = id.resourceGroup.toLowerCase();
      m.set(k, [...(m.get(k) ?? []), { vmss, id }]);
    }
    return m;
  });
  for (const { vmss, id } of byGroup.get(nodeRg.toLowerCase()) ?? []) {
    const identities = readObject(vmss.props, "identity", "userAssignedIdentities");
    if (identities === UNKNOWN) {
      pending ??= `${vmss.name}: identity.userAssignedIdentities`;
      continue;
    }
    const carries = Object.keys(identities ?? {}).some((k) => parseArmId(k)?.key === kubelet.key);
    if (!carries) missing.push({ scaleSet: vmss, scaleSetName: resourceName(id) ?? vmss.name });
  }
  return { missing, pending };
}

/** The password resources (of service principals and of applications) the stack declares. */
function passwordResources(topo: Topology): StackResource[] {
  return [
    ...(topo.byKind.get("servicePrincipalPassword") ?? []),
    ...(topo.byKind.get("applicationPassword") ?? []),
  ];
}

export interface SecretStatus {
  /** The credential the cluster uses, when the stack shows which; otherwise the one that ends last. */
  end: Date;
  /** Whether `end` is the credential the cluster uses (true) or the latest of several (false). */
  exact: boolean;
  source: string;
}

function dateOf(v: unknown): Known<Date> | undefined {
  if (isUnknown(v)) return UNKNOWN;
  if (typeof v !== "string") return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * When the cluster's service-principal secret ends: from the password resource the cluster's
 * secret comes from, or else from every credential the stack or the observer shows for its
 * service principal (the latest end wins: the cluster may use any of them).
 */
export function servicePrincipalSecret(
  topo: Topology,
  cluster: ClusterNode,
): Known<SecretStatus> | undefined {
  if (cluster.identity.kind !== "servicePrincipal" || !known(cluster.identity.clientId)) return undefined;
  const clientId = cluster.identity.clientId;
  const passwords = passwordResources(topo);

  // The secret the cluster was given, when it came from a password resource of the stack.
  for (const urn of linked(cluster.res, "servicePrincipalProfile")) {
    const pw = passwords.find((p) => p.urn === urn);
    if (!pw) continue;
    const end = dateOf(read(pw.props, "endDate"));
    if (end === UNKNOWN) return UNKNOWN;
    if (end) return { end, exact: true, source: `password '${pw.name}'` };
  }

  const ends = credentialEnds(topo, clientId);
  if (ends === UNKNOWN) return UNKNOWN;
  if (ends.length === 0) return undefined;
  const latest = ends.reduce((a, b) => (a.end >= b.end ? a : b));
  return { end: latest.end, exact: false, source: latest.source };
}

/**
 * When each credential of a service principal (by client id) ends: Graph records the observer
 * made (`passwordCredentials[].endDateTime`), and password resources the stack declares for the
 * service principal or its application. UNKNOWN while one is not known yet.
 */
export function credentialEnds(topo: Topology, clientId: string): Known<{ end: Date; source: string }[]> {
  const ends: { end: Date; source: string }[] = [];
  let pending = false;
  // The stack may declare the service principal and the observer record it too: read every record.
  const records = [...topo.servicePrincipalsByUrn.values()].filter(
    (s) => sameText(s.clientId, clientId) === true,
  );
  for (const record of records) {
    const creds = readArray(record.res.props, "passwordCredentials");
    if (creds === UNKNOWN) pending = true;
    for (const c of known(creds) ? creds : []) {
      const end = dateOf(read(c, "endDateTime") ?? read(c, "endDate"));
      if (end === UNKNOWN) pending = true;
      else if (end)
        ends.push({
          end,
          source: `credential ${String(read(c, "displayName") ?? read(c, "keyId") ?? "")}`.trim(),
        });
    }
  }
  const sp = records[0];
  const passwords = passwordResources(topo);
  const spObjectId = sp?.objectId;
  for (const pw of passwords) {
    const owner = readString(pw.props, "servicePrincipalId") ?? readString(pw.props, "applicationId");
    const ownerLinked = pw.dependencies.some(
      (u) => u === sp?.res.urn || sameText(topo.applicationsByUrn.get(u)?.clientId, clientId) === true,
    );
    const matches =
      ownerLinked ||
      (known(owner) && known(spObjectId) && owner.toLowerCase().endsWith(spObjectId.toLowerCase()));
    if (!matches) continue;
    const end = dateOf(read(pw.props, "endDate"));
    if (end === UNKNOWN) pending = true;
    else if (end) ends.push({ end, source: `password '${pw.name}'` });
  }
  return pending ? UNKNOWN : ends;
}
