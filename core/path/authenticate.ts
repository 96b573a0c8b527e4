/**
 * The authenticate step for one image: whether the kubelet sends credentials with it. Its credential
 * provider (acr-credential-provider) matches an image against patterns such as `*.azurecr.io` by
 * host label count and port: an image written `name.azurecr.io:443/...` matches none, gets no
 * credentials and pulls anonymously, which the registry refuses with 401 unless it allows anonymous
 * pull (Standard and Premium).
 */
import { cmd, cmds } from "../findings/fix";
import type { ImageVerdict } from "../stack/images";
import { anonymousPull } from "../identity/pull-access";
import type { PullPair } from "../stack/pull-pairs";
import { clusterArgs, KUBELET_401, loginServerOf } from "../plan/remediation";
import { ClusterNode, clusterPools, RegistryNode, Topology } from "../stack/topology";
import { isUnknown, Known, known, readArmProp, readString, UNKNOWN } from "../stack/values";
import { HopVerdict, idOf } from "./hop";

export interface CredentialMatch {
  verdict: "pass" | "fail" | "unknown";
  detail: string;
  /** Where it fails: why, and the fix (the caller names the workload). */
  problem?: string;
  /** Where it may fail, by what the records cannot show (the nodes' credential provider): why, and the fix. */
  doubt?: string;
  pending?: string;
}

/**
 * A login server form the node's credential provider matched only from July 2026: a geo-replica's
 * regional endpoint (`name.region.geo.azurecr.io`, five labels where the kubelet's `matchImages`
 * listed only `*.azurecr.io`, whose label count must be equal) or a domain-name-label one
 * (`name-hash.azurecr.io`, which the provider's own pattern of a registry name did not accept).
 */
function lateForm(host: string): string | undefined {
  const labels = host.toLowerCase().split(".");
  if (labels.length === 5 && labels[2] === "geo") return "a geo-replica's regional endpoint";
  if (labels.length === 3 && /^[a-z0-9]{5,50}-[a-z0-9]{16}$/.test(labels[0]))
    return "a domain-name-label login server";
  return undefined;
}

export function credentialMatch(
  image: string,
  v: ImageVerdict,
  registry: RegistryNode | undefined,
): CredentialMatch {
  if (v.kind !== "ok" || !v.loginServer)
    return { verdict: "pass", detail: "the kubelet's credential provider matches the image's host" };
  const anonymous = registry ? anonymousPull(registry) : false;
  const host = image.split("/")[0].replace(/:\d+$/, "");
  const late = v.port ? undefined : lateForm(host);
  if (!v.port && !late)
    return { verdict: "pass", detail: "the kubelet's credential provider matches the image's host" };
  if (late) {
    if (anonymous === true)
      return { verdict: "pass", detail: `${host} is ${late}; the registry allows anonymous pull anyway` };
    return {
      verdict: "unknown",
      detail: `${host} is ${late}, which node credential providers match only from July 2026`,
      doubt:
        `${KUBELET_401} on nodes whose credential provider does not match ${late} ('${host}'): the kubelet's ` +
        "matchImages listed only *.azurecr.io (a host must have as many labels as the pattern) and the provider's " +
        "pattern of a registry name took one label without '-', until AKS's node configuration and provider releases of " +
        "July 2026; on such nodes the image gets no credentials and the registry refuses the anonymous pull. The records " +
        "do not show the nodes' provider, so this is not certain.\n" +
        `Fix: name the registry by its login server, "${v.loginServer}${image.slice(image.indexOf("/"))}" (pulls then ` +
        "reach the replica nearest the cluster), or upgrade the node pools to a node image of July 2026 or later (a " +
        "node-image-only upgrade of each pool).",
    };
  }
  if (anonymous === true)
    return {
      verdict: "pass",
      detail: `no credentials for port ${v.port}, but the registry allows anonymous pull`,
    };
  if (anonymous === UNKNOWN)
    return {
      verdict: "unknown",
      detail: `no credentials for port ${v.port}; whether the registry allows anonymous pull is not known yet`,
      pending: `${registry!.res.name}: anonymousPullEnabled`,
    };
  const fixed = v.loginServer + image.slice(image.indexOf("/"));
  return {
    verdict: "fail",
    detail: `the image names port ${v.port}: the credential provider sends no credentials, and the pull is anonymous`,
    problem:
      `${KUBELET_401}: the image names its registry with a port ('${v.loginServer}:${v.port}'), and the kubelet's ` +
      "credential provider matches images against patterns such as *.azurecr.io by host and port, so it sends no " +
      "credentials and the registry refuses the anonymous pull, whatever roles the kubelet identity holds.\n" +
      `Fix: set the image to "${fixed}" (no port: the registry answers on 443).`,
  };
}

/**
 * The token the credential provider asks for. A registry can refuse Microsoft Entra tokens whose
 * audience is Azure Resource Manager (`policies.azureADAuthenticationAsArmPolicy.status: disabled`,
 * often set by the built-in Azure Policy "Configure container registries to disable ARM audience
 * token authentication"). Kubernetes before 1.30 pulls with the kubelet's in-tree Azure credential
 * provider, which asks for ARM-audience tokens; the out-of-tree acr-credential-provider asks for ACR-
 * audience tokens from its March 2025 releases on (every 1.33 and later, later patches of 1.30 to
 * 1.32, depending on the node image). Each node pool runs its own version: the oldest decides.
 */
export interface TokenAudience extends HopVerdict {
  detail: string;
  /** The pools (and cluster) whose versions decide it. */
  evidence: string[];
}

/** The first release whose credential provider asks for ACR-audience tokens whatever its patch. */
const ACR_AUDIENCE_ALWAYS = 33;
/** The first release with the out-of-tree credential provider, whose later patches ask for them. */
const OUT_OF_TREE = 30;

/** A Kubernetes version's minor number ("1.29.7", "1.29" -> 29). */
function minorOf(version: string): number | undefined {
  const m = /^v?1\.(\d+)(?:\.|$)/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/** Each node pool's Kubernetes version (its own, else the cluster's), as the records read. */
interface PoolVersion {
  pool: string;
  version: Known<string> | undefined;
}

function poolVersions(topo: Topology, cluster: ClusterNode): Known<PoolVersion[]> {
  const p = cluster.res.props;
  const clusterVersion = firstKnown(
    readString(p, "currentKubernetesVersion"),
    readString(p, "kubernetesVersion"),
  );
  const pools = clusterPools(topo, cluster);
  if (pools === UNKNOWN) return UNKNOWN;
  const out = pools.map((pool): PoolVersion => ({
    pool: String(readArmProp(pool, "name") ?? "?"),
    version: firstKnown(
      readString(pool, "currentOrchestratorVersion"),
      readString(pool, "orchestratorVersion"),
      clusterVersion,
    ),
  }));
  const whole: PoolVersion = { pool: "(the cluster)", version: clusterVersion };
  return out.length > 0 ? out : [whole];
}

/** The first value that is set: UNKNOWN where the first set one waits on preview. */
function firstKnown(...values: (Known<string> | undefined)[]): Known<string> | undefined {
  for (const v of values) if (v === UNKNOWN || (typeof v === "string" && v.length > 0)) return v;
  return undefined;
}

export function tokenAudience(topo: Topology, pair: PullPair, will: string): TokenAudience {
  const { cluster, registry } = pair;
  const evidence = [idOf(registry.res), idOf(cluster.res)];
  const pass = (detail: string): TokenAudience => ({ fails: [], detail, evidence });
  const status = readArmProp(registry.res.props, "policies", "azureADAuthenticationAsArmPolicy", "status");
  if (isUnknown(status))
    return {
      ...pass("whether the registry accepts ARM-audience tokens waits on preview"),
      pending: `${registry.label}: policies.azureADAuthenticationAsArmPolicy.status`,
    };
  if (typeof status !== "string" || status.toLowerCase() !== "disabled")
    return pass(
      "the registry accepts the kubelet's Microsoft Entra tokens (ARM-audience tokens are not disabled)",
    );
  const anonymous = anonymousPull(registry);
  if (anonymous === true) return pass("the registry allows anonymous pull: no token is needed");
  const versions = poolVersions(topo, cluster);
  if (versions === UNKNOWN || versions.some((v) => v.version === UNKNOWN) || anonymous === UNKNOWN)
    return {
      ...pass(
        "the registry refuses ARM-audience tokens; the node pools' Kubernetes versions wait on preview",
      ),
      pending: `${cluster.label}: agentPoolProfiles[].orchestratorVersion`,
    };
  const minors = versions.map((v) => ({ ...v, minor: known(v.version) ? minorOf(v.version) : undefined }));
  const inTree = minors.filter((v) => v.minor !== undefined && v.minor < OUT_OF_TREE);
  const patchDecides = minors.filter(
    (v) => v.minor === undefined || (v.minor >= OUT_OF_TREE && v.minor < ACR_AUDIENCE_ALWAYS),
  );
  if (inTree.length === 0 && patchDecides.length === 0)
    return pass(
      `the registry refuses ARM-audience tokens, and every node pool runs Kubernetes 1.${ACR_AUDIENCE_ALWAYS} or later, whose credential provider asks for ACR-audience tokens`,
    );
  const login = loginServerOf(registry);
  const setting =
    "registry '" +
    registry.label +
    "' refuses ARM-audience tokens (policies.azureADAuthenticationAsArmPolicy.status: disabled, often set by the " +
    "Azure Policy 'Configure container registries to disable ARM audience token authentication')";
  const named = (list: typeof minors) =>
    list.map((v) => `'${v.pool}' (${known(v.version) ? v.version : "version not recorded"})`).join(", ");
  const reenable = `az acr config authentication-as-arm update -r ${registry.label} --status enabled`;
  const fix =
    `Fix: upgrade the cluster and its node pools to Kubernetes 1.${ACR_AUDIENCE_ALWAYS} or later, one minor version at a ` +
    `time (${cmds([`az aks get-upgrades ${clusterArgs(cluster)}`, `az aks upgrade ${clusterArgs(cluster)} --kubernetes-version <next>`])}); ` +
    "or, where no Azure Policy sets it back, let the registry accept them again (policies.azureADAuthenticationAsArmPolicy." +
    `status: enabled in its declaration, or ${cmd(reenable)}).`;
  const commands = [reenable];
  if (inTree.length > 0)
    return {
      symptom: KUBELET_401,
      fails: [
        `Pods on cluster '${cluster.label}' pulling from '${login}' ${will} with ${KUBELET_401}: ${setting}, and node ` +
          `pool(s) ${named(inTree)} run a Kubernetes version before 1.${OUT_OF_TREE}, whose credential provider asks for ` +
          "ARM-audience tokens: the token exchange is refused, and the pull goes without credentials.\n" +
          fix,
      ],
      commands,
      detail: `the registry refuses ARM-audience tokens, which the credential provider of pool(s) ${named(inTree)} asks for`,
      evidence,
    };
  return {
    fails: [],
    unsure: [
      `Pods on cluster '${cluster.label}' pulling from '${login}' ${will} with ${KUBELET_401} if the node image's credential ` +
        `provider still asks for ARM-audience tokens: ${setting}, and node pool(s) ${named(patchDecides)} run a version ` +
        `whose credential provider asks for ACR-audience tokens only from its March 2025 patches on (1.${OUT_OF_TREE} to ` +
        `1.${ACR_AUDIENCE_ALWAYS - 1}), which the records do not show, so this is not certain.\n` +
        fix,
    ],
    commands,
    detail: `the registry refuses ARM-audience tokens; whether the credential provider of pool(s) ${named(patchDecides)} asks for ACR-audience ones depends on its patch`,
    evidence,
  };
}
