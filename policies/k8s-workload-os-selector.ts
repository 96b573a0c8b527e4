import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { isWindowsImage, NodeOs, osPin, poolOses } from "../core/os";
import { kindOf } from "../core/tokens";
import { containerImages, describeWorkload, podSpecOf, workloadKind } from "../core/workloads";
import { UNKNOWN } from "../core/values";
import { PolicyConfigError } from "./lib/config";
import { deferToPreview, resourceOf } from "./lib/stack";

const NAME = "k8s-workload-os-selector";
const SYMPTOM =
  'ErrImagePull: "failed to pull and unpack image ...: no match for platform in manifest: not found"';

/**
 * The node OSes of the clusters this stack run has shown so far, by cluster. A resource policy sees
 * one resource at a time, but the engine analyzes a cluster and its agent pools before the
 * Kubernetes provider made from the cluster's kubeconfig, and that provider before its workloads.
 * Each workload is judged by its own cluster: the one whose API server its provider's kubeconfig
 * names. The record lives as long as the run's stack tags (the engine replaces them at each
 * ConfigureStack).
 */
interface RunClusters {
  /** Node OSes by cluster name (a cluster's profiles, and AgentPools of that cluster). */
  oses: Map<string, Set<NodeOs>>;
  /** Cluster name by API server host (`fqdn`, `privateFQDN`). */
  byHost: Map<string, string>;
}

const seenByRun = new WeakMap<object, RunClusters>();

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

function remember(
  args: { type: string; urn: string; name: string; props: Record<string, unknown>; stackTags: object },
  props: Record<string, unknown>,
): void {
  const kind = kindOf(args.type);
  if (kind !== "managedCluster" && kind !== "agentPool") return;
  const oses = poolOses(props, kind === "agentPool");
  if (oses === UNKNOWN) return;
  // An AgentPool names its cluster by its id (`.../managedClusters/<name>/agentPools/<pool>`) or
  // its `resourceName` input; a cluster by its own name.
  const id = str(props.id);
  const cluster =
    kind === "agentPool"
      ? (id && /\/managedclusters\/([^/]+)\/agentpools\//i.exec(id)?.[1]) || str(props.resourceName) || "?"
      : str(props.name) || (id && /\/managedclusters\/([^/]+)$/i.exec(id)?.[1]) || args.name;
  const run = seenByRun.get(args.stackTags) ?? { oses: new Map(), byHost: new Map() };
  const key = cluster.toLowerCase();
  const seen = run.oses.get(key) ?? new Set<NodeOs>();
  oses.forEach((o) => seen.add(o));
  run.oses.set(key, seen);
  if (kind === "managedCluster")
    for (const host of [str(props.fqdn), str(props.privateFQDN)])
      if (host) run.byHost.set(host.toLowerCase(), key);
  seenByRun.set(args.stackTags, run);
}

/** The API server host a kubeconfig names (`server: https://<host>:443`). */
function serverHost(kubeconfig: unknown): string | undefined {
  if (typeof kubeconfig !== "string") return undefined;
  const m = /server:\s*["']?https?:\/\/([^:/"'\s]+)/i.exec(kubeconfig);
  return m?.[1].toLowerCase();
}

/**
 * Whether the workload's cluster has Windows node pools: config `windowsNodePools`; else its own
 * cluster's pools, found through its provider's kubeconfig; else, when the run's clusters all agree,
 * theirs. `undefined` when it cannot tell (clusters that differ, and no link to one of them): a
 * guess is never mandatory.
 */
function mixed(args: ResourceValidationArgs): boolean | undefined {
  const forced = (args.getConfig() as Record<string, unknown>).windowsNodePools;
  if (forced !== undefined && typeof forced !== "boolean") {
    throw new PolicyConfigError(NAME, "windowsNodePools", forced, "true or false");
  }
  if (forced !== undefined) return forced;
  const run = seenByRun.get(args.stackTags);
  if (!run || run.oses.size === 0) return false;
  let kubeconfig: unknown;
  try {
    kubeconfig = args.provider?.props?.kubeconfig;
  } catch {
    kubeconfig = undefined; // not known yet: the cluster it names is still to be created
  }
  const host = serverHost(kubeconfig);
  const own = host ? run.byHost.get(host) : undefined;
  if (own) return run.oses.get(own)?.has("windows") ?? false;
  const verdicts = new Set([...run.oses.values()].map((o) => o.has("windows")));
  return verdicts.size === 1 ? [...verdicts][0] : undefined;
}

export const k8sWorkloadOsSelector: ResourceValidationPolicy = {
  name: NAME,
  description:
    "In a cluster with Windows node pools, every workload pins its OS (nodeSelector kubernetes.io/os, os.name, or a " +
    "required node-affinity term), and no pin contradicts a Windows-only image. With remediate, Linux workloads get the Linux selector.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#cause-5-no-match-for-platform-in-manifest",
  remediationSteps:
    'Set nodeSelector: {"kubernetes.io/os": "linux"} (or "windows" for Windows images) on the pod template ' +
    '(`kubectl patch deployment <name> -p \'{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}\'`); ' +
    "set this policy to remediate to add the Linux selector automatically.",
  configSchema: {
    properties: {
      windowsNodePools: {
        type: "boolean",
        description:
          "Whether the cluster has Windows node pools, for stacks that deploy workloads to a cluster they do not declare. " +
          "Default: known from the cluster and agent pools the stack declares.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const res = resourceOf(args);
    remember(args, res.props);
    if (!workloadKind(args.type)) return;
    const pod = podSpecOf(res);
    if (!pod) return;
    if (pod.spec === UNKNOWN) deferToPreview(`${res.name}: ${pod.path}`);
    const pin = osPin(pod.spec);
    if (pin === UNKNOWN) deferToPreview(`${res.name}: ${pod.path}.nodeSelector`);
    const images = containerImages(res).map((c) => c.image);
    if (images.includes(UNKNOWN)) deferToPreview(`${res.name}: images`);
    const windowsImage = images.find((i): i is string => typeof i === "string" && isWindowsImage(i));
    const where = `${describeWorkload(res)} (${pod.path})`;
    if (windowsImage && pin?.os !== "windows") {
      reportViolation(
        `Pods of ${where} run Windows-only image "${windowsImage}" but ${pin ? `pin ${pin.os} through ${pin.via}` : "pin no OS"}: ` +
          `on a Linux node the pull fails with ${SYMPTOM}.\n` +
          `Fix: set nodeSelector: {"kubernetes.io/os": "windows"} in ${pod.path} (kubectl patch ... -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"windows"}}}}}').`,
      );
      return;
    }
    if (!pin && mixed(args) === true) {
      reportViolation(
        `Pods of ${where} pin no OS in a cluster with Windows node pools: scheduled on a Windows node, the pull fails with ` +
          `${SYMPTOM}.\n` +
          `Fix: set nodeSelector: {"kubernetes.io/os": "linux"} in ${pod.path}, or set this policy to remediate to add it.`,
      );
    }
  },
  remediateResource: (args) => {
    const res = resourceOf(args);
    remember(args, res.props);
    if (!workloadKind(args.type) || mixed(args) !== true) return undefined;
    const pod = podSpecOf(res);
    if (!pod || pod.spec === UNKNOWN || osPin(pod.spec) !== undefined) return undefined;
    if (
      containerImages(res).some(
        (c) => c.image === UNKNOWN || (typeof c.image === "string" && isWindowsImage(c.image)),
      )
    ) {
      return undefined;
    }
    // Edit through the engine's proxy, not a copy, so that secret values stay secret.
    let spec = args.props as Record<string, unknown>;
    for (const key of pod.path.split(".")) spec = spec[key] as Record<string, unknown>;
    spec.nodeSelector = {
      ...((spec.nodeSelector as Record<string, string> | undefined) ?? {}),
      "kubernetes.io/os": "linux",
    };
    return args.props;
  },
};
