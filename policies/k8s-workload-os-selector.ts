import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { clusterOses, isWindowsImage, osPin } from "../core/os";
import { clustersOf } from "../core/pull-pairs";
import { perTopology, StackResource, Topology } from "../core/topology";
import {
  containerImages,
  describeWorkload,
  knownWorkloads,
  podSpecOf,
  workloadKind,
} from "../core/workloads";
import { Known, UNKNOWN } from "../core/values";
import { PolicyConfigError } from "./lib/config";
import { deferToPreview, resourceOf, topologyOf } from "./lib/stack";

const NAME = "k8s-workload-os-selector";
const SYMPTOM =
  'ErrImagePull: "failed to pull and unpack image ...: no match for platform in manifest: not found"';

/** Config `windowsNodePools`: whether the workloads' cluster has Windows pools, where the stack cannot show it. */
function forcedWindows(config: Record<string, unknown>): boolean | undefined {
  const forced = config.windowsNodePools;
  if (forced !== undefined && typeof forced !== "boolean") {
    throw new PolicyConfigError(NAME, "windowsNodePools", forced, "true or false");
  }
  return forced;
}

/**
 * The cluster with Windows node pools the workload runs on, when that is certain: its own cluster
 * (its provider's kubeconfig, computed from the cluster or naming its API server; or the stack's
 * only cluster); else, when every cluster of the stack has Windows pools, any of them. `undefined`
 * when it runs on none or the stack cannot tell (clusters that differ, no link to one of them): a
 * guess is never mandatory. Read from the request alone, whatever order the engine analyzed in.
 */
function windowsClusterOf(topo: Topology, w: StackResource): Known<string | undefined> {
  const { clusters, certain } = clustersOf(topo, w);
  const decide = (): Known<string | undefined> => {
    const withWindows: string[] = [];
    for (const c of clusters) {
      const oses = clusterOses(topo, c);
      if (oses === UNKNOWN) return UNKNOWN;
      if (oses.has("windows")) withWindows.push(c.label);
    }
    if (withWindows.length === 0) return undefined;
    if (certain || withWindows.length === clusters.length) return withWindows[0];
    return undefined;
  };
  // Every cluster of the stack (the workload's own is not known): decided once per request.
  return certain ? decide() : perTopology(topo, `${NAME}:any-cluster`, decide);
}

const validateStack: StackValidationPolicy["validateStack"] = (args, reportViolation) => {
  const forced = forcedWindows(args.getConfig<Record<string, unknown>>());
  const topo = topologyOf(args.resources);
  const { workloads, pending: firstPending } = knownWorkloads(topo.workloads, osPin);
  let pending = firstPending;
  for (const { res: w, pod, pin, images } of workloads) {
    const windowsImage = images.find((i): i is string => typeof i === "string" && isWindowsImage(i));
    const where = `${describeWorkload(w)} (${pod.path})`;
    if (windowsImage && pin?.os !== "windows") {
      reportViolation(
        `Pods of ${where} run Windows-only image "${windowsImage}" but ${pin ? `pin ${pin.os} through ${pin.via}` : "pin no OS"}: ` +
          `on a Linux node the pull fails with ${SYMPTOM}.\n` +
          `Fix: set nodeSelector: {"kubernetes.io/os": "windows"} in ${pod.path} (kubectl patch ... -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"windows"}}}}}').`,
        w.urn,
      );
      continue;
    }
    if (pin) continue;
    const cluster = forced === undefined ? windowsClusterOf(topo, w) : forced ? "" : undefined;
    if (cluster === UNKNOWN) {
      pending ??= `${w.name}: its cluster's agentPoolProfiles[].osType`;
      continue;
    }
    if (cluster === undefined) continue;
    reportViolation(
      `Pods of ${where} pin no OS in ${cluster ? `cluster '${cluster}', which has` : "a cluster with"} Windows node pools: ` +
        `scheduled on a Windows node, the pull fails with ${SYMPTOM}.\n` +
        `Fix: set nodeSelector: {"kubernetes.io/os": "linux"} in ${pod.path}, or set this policy to remediate to add it.`,
      w.urn,
    );
  }
  if (pending) deferToPreview(pending);
};

/**
 * With `remediate`, the Linux selector on every workload that pins no OS and runs no Windows-only
 * image, unless config says the cluster has no Windows pools. The engine remediates one resource
 * at a time, before the stack is known, so this cannot see the cluster's pools: pinning Linux where
 * every node is Linux changes nowhere a pod lands, but it is a change to the pod template.
 */
const remediateResource: ResourceValidationPolicy["remediateResource"] = (args) => {
  if (!workloadKind(args.type) || forcedWindows(args.getConfig()) === false) return undefined;
  const res = resourceOf(args);
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
};

/**
 * A stack policy (each workload judged by its own cluster's pools, from the request alone) that
 * also remediates resources: @pulumi/policy runs `validateStack` in AnalyzeStack and
 * `remediateResource` in Remediate, whatever the policy's other half.
 */
export const k8sWorkloadOsSelector: StackValidationPolicy &
  Pick<ResourceValidationPolicy, "remediateResource"> = {
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
    "set this policy to remediate to add the Linux selector to every workload that pins no OS and runs no Windows-only image.",
  configSchema: {
    properties: {
      windowsNodePools: {
        type: "boolean",
        description:
          "Whether the cluster has Windows node pools, for stacks that deploy workloads to a cluster they do not declare. " +
          "Default: known from the cluster and agent pools the stack declares. false also stops remediation.",
      },
    },
  },
  validateStack,
  remediateResource,
};
