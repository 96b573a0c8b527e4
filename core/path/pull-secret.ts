/**
 * The authenticate step for pods that name an image pull secret. The kubelet merges a pod's pull
 * secrets with its own credential provider's and tries each in turn: a broken entry fails the pull
 * only where the kubelet identity of the secret's cluster cannot pull from the registry either
 * (certain); where the stack cannot tell, it is unverified; where that identity pulls, the pull
 * works. A secret the kubelet cannot parse fails every pull of its pods. The pack's
 * k8s-acr-pull-secret-valid reports these; `trace` shows them on the images of the pods that name
 * the secret.
 */
import { cmd } from "../findings/fix";
import { credentialEnds } from "../identity/drift";
import { principalCanPull } from "../identity/grants";
import { evaluatePullAccess } from "../identity/pull-access";
import { clustersOf, registryByLoginServer } from "../stack/pull-pairs";
import {
  ENTRA_TOKEN_USERNAME,
  EntryProblem,
  isPullSecret,
  judgeEntry,
  readPullSecret,
  registryOfServer,
} from "../identity/pull-secrets";
import { isObserved, perTopology, RegistryNode, StackResource, Topology } from "../stack/topology";
import { known, UNKNOWN } from "../stack/values";
import { kubectlName } from "../stack/workloads";

export const PULL_SECRET_POLICY = "k8s-acr-pull-secret-valid";

export interface PullSecretFinding {
  /** The secret. */
  res: StackResource;
  /** The login server of the entry at fault; undefined where the whole secret is. */
  server?: string;
  message: string;
  /** What the kubelet prints, where the finding is certain. */
  symptom?: string;
}

export interface PullSecretFindings {
  certain: PullSecretFinding[];
  unverified: PullSecretFinding[];
  pending?: string;
}

/** What the kubelet prints for a secret it cannot parse, and for one whose credential the registry refuses. */
const UNPARSABLE = 'ErrImagePull: "Failed to pull image ...: <a JSON or base64 error>"';
const SECRET_401 =
  'ErrImagePull: "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"';

/** Recreating a pull secret by hand: its credentials are what the recording never holds. */
const RECREATE = cmd(
  "kubectl create secret docker-registry <name> --docker-server=<registry>.azurecr.io " +
    "--docker-username=<username> --docker-password=<password>",
);
/** Every pull secret's broken entries, split by what happens to the pull; once per topology. */
export function pullSecretFindings(topo: Topology): PullSecretFindings {
  return perTopology(topo, PULL_SECRET_POLICY, () => decide(topo));
}

function explain(p: EntryProblem, registry: string): string {
  switch (p.kind) {
    case "adminDisabled":
      return `it is built from the admin account, which registry '${registry}' has disabled (adminUserEnabled: false)`;
    case "expiredEntraToken":
      return `it holds a Microsoft Entra token (username ${ENTRA_TOKEN_USERNAME}, from az acr login --expose-token), which expired at ${p.end.toISOString()}: such tokens last hours`;
    case "unknownToken":
      return `its username '${p.username}' is neither the registry's name (the admin account's username), a service principal's client id, nor one of registry '${registry}''s tokens (${p.tokens.join(", ")})`;
    case "tokenDisabled":
      return `it is built from token '${p.token}' of registry '${registry}', which is disabled (az acr token update -r ${registry} -n ${p.token} --status enabled)`;
    case "tokenExpired":
      return `it is built from token '${p.token}' of registry '${registry}', whose every password expired by ${p.end.toISOString().slice(0, 10)} (az acr token credential generate -r ${registry} -n ${p.token})`;
    case "stalePassword":
      return "its password matches neither of the registry's current admin passwords: they were regenerated since (solution 6)";
    case "unknownServicePrincipal":
      return `it is built from service principal ${p.clientId}, which does not exist in the tenant`;
    case "expiredServicePrincipal":
      return `it is built from service principal ${p.clientId}, whose every credential ended by ${p.end.toISOString().slice(0, 10)} (solution 5)`;
    case "servicePrincipalCannotPull":
      return `it is built from service principal ${p.clientId}, which holds no role that pulls from registry '${registry}'`;
  }
}

function decide(topo: Topology): PullSecretFindings {
  const byServer = registryByLoginServer(topo);
  const now = new Date();
  const ctx = {
    servicePrincipalEnds: (clientId: string) => {
      const ends = credentialEnds(topo, clientId);
      return ends === UNKNOWN ? UNKNOWN : ends.map((e) => e.end);
    },
    canPull: principalCanPull.bind(undefined, topo),
    observedServicePrincipals: [...topo.servicePrincipalsByUrn.values()].some((s) => isObserved(s.res)),
  };
  const out: PullSecretFindings = { certain: [], unverified: [] };
  for (const res of topo.byUrn.values()) {
    if (!isPullSecret(res)) continue;
    const secret = readPullSecret(res);
    const where = `pull secret ${kubectlName(res)}`;
    if (secret === UNKNOWN) {
      out.pending ??= `${res.name}: data`;
      continue;
    }
    if (!secret) continue;
    const fix =
      "Fix: declare aks-acr-guard's AcrImagePullSecret (it rebuilds the secret from live credentials on every run), or " +
      "pull with the kubelet identity instead";
    if ("malformed" in secret) {
      if (secret.fatal)
        // The kubelet cannot parse it: it pulls no image of the pods that name it, whatever else it holds.
        out.certain.push({
          symptom: UNPARSABLE,
          message:
            `Pods using ${where} will fail with ${UNPARSABLE}: the ` +
            `kubelet cannot parse the secret, because ${secret.malformed}, and then pulls none of their images, with no ` +
            `credential tried.\n${fix}; or recreate it: ${RECREATE}`,
          res,
        });
      else
        // Skipped: the kubelet tries its own credential; whether that pulls is not known here.
        out.unverified.push({
          message:
            `Pods using ${where} get no credential from it: the kubelet skips it, because ${secret.malformed}; they fail ` +
            `with "401 Unauthorized" unless the kubelet's own credential can pull from their registry.\n${fix}; or ` +
            `recreate it: ${RECREATE}`,
          res,
        });
      continue;
    }
    for (const entry of secret.entries) {
      const registry = registryOfServer(byServer, entry.server);
      if (!registry) continue;
      const problems = judgeEntry(topo, entry, registry, ctx, now);
      if (problems === UNKNOWN) {
        out.pending ??= `${res.name}: ${entry.server}`;
        continue;
      }
      if (problems.length === 0) continue;
      const name = known(registry.name) ? registry.name : registry.label;
      const fallback = kubeletFallback(topo, res, registry);
      if (fallback.kind === "pulls") continue;
      if (fallback.kind === "pending") {
        out.pending ??= fallback.path;
        continue;
      }
      const why = problems.map((p) => explain(p, name)).join("; ");
      const attach = `az aks update -g ${fallback.kind === "fails" ? fallback.group : "<cluster-group>"} -n ${fallback.kind === "fails" ? fallback.cluster : "<cluster>"} --attach-acr ${name}`;
      if (fallback.kind === "fails")
        out.certain.push({
          server: entry.server,
          symptom: SECRET_401,
          message:
            `Pods using ${where} to pull from ${entry.server} will fail with ${SECRET_401}: ${why}; and the kubelet's own credential, which it tries next, ` +
            `cannot pull from registry '${name}' either (cluster '${fallback.cluster}': ${fallback.why}).\n` +
            `${fix}: ${cmd(attach)}, and remove imagePullSecrets.`,
          res,
        });
      else
        out.unverified.push({
          server: entry.server,
          message:
            `Pods using ${where} to pull from ${entry.server} get no working credential from it: ${why}. The kubelet then ` +
            `tries its own credential: the pull fails with "401 Unauthorized" unless that can pull from registry '${name}', ` +
            `which this stack does not show (${fallback.why}), so this is not certain.\n${fix}: ${cmd(attach)}, and remove ` +
            "imagePullSecrets.",
          res,
        });
    }
  }
  return out;
}

type Fallback =
  | { kind: "pulls" }
  | { kind: "pending"; path: string }
  | { kind: "fails"; cluster: string; group: string; why: string }
  | { kind: "unknown"; why: string };

/** Whether the kubelet identity of the secret's cluster pulls from the registry when the secret fails. */
function kubeletFallback(topo: Topology, secret: StackResource, registry: RegistryNode): Fallback {
  const { clusters, certain } = clustersOf(topo, secret);
  if (!certain || clusters.length !== 1)
    return { kind: "unknown", why: "the stack does not tie the secret to one cluster" };
  const [cluster] = clusters;
  const v = evaluatePullAccess(topo, { cluster, registry, evidence: "workload", certain: true });
  switch (v.status) {
    case "granted":
    case "anonymous":
      return { kind: "pulls" };
    case "pending":
      return { kind: "pending", path: v.path };
    case "missing":
    case "crossTenant":
      return {
        kind: "fails",
        cluster: cluster.label,
        group:
          known(cluster.resourceGroup) && cluster.resourceGroup ? cluster.resourceGroup : "<cluster-group>",
        why:
          v.status === "missing"
            ? `its ${cluster.identity.label} holds no pull role on it`
            : `the registry is in another tenant than its kubelet managed identity`,
      };
    default:
      return {
        kind: "unknown",
        why: `whether cluster '${cluster.label}''s ${cluster.identity.label} pulls from it is not shown`,
      };
  }
}
