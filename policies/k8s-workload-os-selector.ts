import { OS_SYMPTOM } from "../core/path/content";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isWindowsImage, osPin } from "../core/platform/os";
import { osFindings } from "../core/path/content";
import { containerImages, podSpecOf, workloadKind } from "../core/stack/workloads";
import { UNKNOWN } from "../core/stack/values";
import { PolicyConfigError } from "./lib/config";
import { deferToPreview, resourceOf, topologyOf } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

const NAME = "k8s-workload-os-selector";

/** Config `windowsNodePools`: whether the workloads' cluster has Windows pools, where the stack cannot show it. */
function forcedWindows(config: Record<string, unknown>): boolean | undefined {
  const forced = config.windowsNodePools;
  if (forced !== undefined && typeof forced !== "boolean") {
    throw new PolicyConfigError(NAME, "windowsNodePools", forced, "true or false");
  }
  return forced;
}

const validateStack: StackValidationPolicy["validateStack"] = (args, reportViolation) => {
  const { findings, pending } = osFindings(
    topologyOf(args.resources),
    forcedWindows(args.getConfig<Record<string, unknown>>()),
  );
  for (const f of findings) reportViolation(f.message, f.res.urn);
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

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: OS_SYMPTOM,
    cause: "No match for platform in manifest: workload OS not pinned",
    steps: ["content"],
    left: {
      why: WORKLOAD,
      config:
        "none: pin kubernetes.io/os in the workload (the pack's remediation does it where remediation runs)",
    },
  },
};
