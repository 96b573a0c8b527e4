import { ARCH_SYMPTOM } from "../core/path/content";
import { StackValidationPolicy } from "@pulumi/policy";
import { architectureFindings } from "../core/path/content";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

export { ARCH_SYMPTOM } from "../core/path/content";
export const ARCH_URL =
  "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster";

const NAME = "k8s-image-architecture";

export const k8sImageArchitecture: StackValidationPolicy = {
  name: NAME,
  description:
    "Where the observer or a recording read an image's manifest, the image offers the CPU architecture of every node " +
    "pool its workload can land on (arm64 for Arm-based VM sizes such as Standard_D4ps_v5, amd64 otherwise), given the " +
    "workload's kubernetes.io/arch pin.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: ARCH_URL,
  remediationSteps:
    "Publish a multi-architecture image (`az acr login -n <registry>`, then docker buildx build --platform " +
    "linux/amd64,linux/arm64 --push -t <login server>/<repository>:<tag> .; ACR Tasks builds one platform per run), " +
    "or pin the workload to an architecture its image offers " +
    '(`kubectl patch deployment <name> -p \'{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/arch":"amd64"}}}}}\'`).',
  validateStack: (args, reportViolation) => {
    const { findings, pending } = architectureFindings(topologyOf(args.resources));
    for (const f of findings) reportViolation(f.message, f.res.urn);
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: ARCH_SYMPTOM,
    cause: "No match for platform in manifest: the image lacks the node pool's CPU architecture",
    steps: ["content"],
    left: {
      why: WORKLOAD,
      config: "none: publish the missing architecture, or pin the workload",
    },
  },
};
