import { StackValidationPolicy } from "@pulumi/policy";
import { archPin, landingPools, platformsOf } from "../core/platform/arch";
import { describeWorkload, knownWorkloads } from "../core/stack/workloads";
import { UNKNOWN } from "../core/stack/values";
import { deferToPreview, topologyOf } from "./lib/stack";
import { ARCH_SYMPTOM, ARCH_URL } from "./k8s-image-architecture";
import { Guides, NS, WORKLOAD } from "./lib/guide";

const NAME = "k8s-workload-arch-selector";

export const k8sWorkloadArchSelector: StackValidationPolicy = {
  name: NAME,
  description:
    "In a cluster with node pools of both CPU architectures (amd64, and arm64 sizes such as Standard_D4ps_v5), a " +
    "workload whose images' platforms are not known pins kubernetes.io/arch: an image built for one architecture fails " +
    "on the other's nodes.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: ARCH_URL,
  remediationSteps:
    "Pin the workload's architecture (`kubectl patch deployment <name> -p " +
    '\'{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/arch":"amd64"}}}}}\'`), or publish a multi-architecture ' +
    "image; declare an AksAcrObserver with the workload's images (or record them) to have k8s-image-architecture decide.",
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    const { workloads, pending: firstPending } = knownWorkloads(topo.workloads, archPin);
    let pending = firstPending;
    for (const { res: w, pod, pin, images } of workloads) {
      if (pin) continue;
      // Images whose platforms are known are k8s-image-architecture's to judge.
      const unread = images.filter((i): i is string => typeof i === "string" && !platformsOf(topo, i));
      if (unread.length === 0) continue;
      const landing = landingPools(topo, w, undefined);
      if (landing === UNKNOWN) {
        pending ??= `${w.name}: its cluster's agentPoolProfiles[].vmSize`;
        continue;
      }
      const mixed = landing.clusters.filter((c) => new Set(c.pools.map((p) => p.arch)).size > 1);
      if (mixed.length === 0 || (!landing.certain && mixed.length < landing.clusters.length)) continue;
      const { label, pools } = mixed[0];
      reportViolation(
        `Pods of ${describeWorkload(w)} pin no CPU architecture in cluster '${label}', which has ` +
          `${pools.map((p) => `'${p.pool}' (${p.vmSize}, ${p.arch})`).join(" and ")}: if image ` +
          `${unread.map((i) => `"${i}"`).join(", ")} is built for one architecture only, pods scheduled on the other's nodes ` +
          `fail with ${ARCH_SYMPTOM}. Its platforms are not known here.\n` +
          `Fix: set nodeSelector: {"kubernetes.io/arch": "amd64"} (or "arm64") in ${pod.path}, or publish a ` +
          "multi-architecture image; to make this certain, list the image in aks-acr-guard's AksAcrObserver's 'images' (it reads the " +
          "manifest), and k8s-image-architecture decides.",
        w.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: ARCH_SYMPTOM,
    cause: "No match for platform in manifest: workload CPU architecture not pinned",
    left: {
      why: WORKLOAD,
      config: `${NS}:images lets the observer read the image's platforms, which makes this check certain`,
    },
  },
};
