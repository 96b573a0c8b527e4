import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImage, pinning } from "../core/stack/images";
import { containerImages, describeWorkload, podSpecOf, workloadKind } from "../core/stack/workloads";
import { isUnknown, read, UNKNOWN } from "../core/stack/values";
import { PolicyConfigError } from "./lib/config";
import { deferToPreview, resourceOf } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

const NAME = "k8s-image-pull-qps";
const DEFAULT_MAX = 10;

/** Where each kind says how many pods it starts at once; undefined: one (a Pod), or a count the stack cannot know (a DaemonSet: one per node). */
const PODS_AT_ONCE: Record<string, { path: string[]; what: string } | undefined> = {
  Deployment: { path: ["spec", "replicas"], what: "replicas" },
  StatefulSet: { path: ["spec", "replicas"], what: "replicas" },
  ReplicaSet: { path: ["spec", "replicas"], what: "replicas" },
  ReplicationController: { path: ["spec", "replicas"], what: "replicas" },
  Job: { path: ["spec", "parallelism"], what: "parallelism" },
  CronJob: { path: ["spec", "jobTemplate", "spec", "parallelism"], what: "parallelism" },
};

/** A cron schedule that fires every minute (or more often: Kubernetes' finest is a minute). */
const EVERY_MINUTE = /^(\*|\*\/1|0-59)\s+\*\s+\*\s+\*\s+\*$|^@every\s+(\d+s|1m0?s?|1m)$/;

/** Whether a container pulls on every start: `Always`, or unset with `:latest` or no tag (and no digest). */
function pullsEveryStart(image: string, policy: string | undefined): boolean {
  return policy !== undefined ? policy === "Always" : pinsNothing(image);
}

/** An image named by `:latest` or no tag, and no digest: what it runs moves with every push. */
function pinsNothing(image: string): boolean {
  const parsed = parseImage(image);
  return parsed.ok && ["latest", "none"].includes(pinning(parsed.ref));
}

export const k8sImagePullQps: ResourceValidationPolicy = {
  name: NAME,
  description:
    "Workloads that pull their image on every start (imagePullPolicy: Always, explicit or implied by :latest or no tag) " +
    "with more pulls at once than maxAlwaysPulls (replicas or Job parallelism, times such containers; CronJobs that " +
    "run every minute repeat them): the kubelet's registryPullQPS (default 5) refuses the excess.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster",
  remediationSteps:
    "Set imagePullPolicy: IfNotPresent and pin the image by tag or digest, so that a start pulls only when the node " +
    "lacks the image (`kubectl patch deployment <name> --type json -p " +
    '\'[{"op":"replace","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"IfNotPresent"}]\'`).',
  configSchema: {
    properties: {
      maxAlwaysPulls: {
        type: "integer",
        minimum: 1,
        default: DEFAULT_MAX,
        description: "The most image pulls a workload may start at once when it pulls on every start.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const kind = workloadKind(args.type);
    if (!kind) return;
    const max = (args.getConfig() as Record<string, unknown>).maxAlwaysPulls ?? DEFAULT_MAX;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1)
      throw new PolicyConfigError(NAME, "maxAlwaysPulls", max, "an integer of at least 1");
    const res = resourceOf(args);
    const pod = podSpecOf(res);
    if (!pod) return;
    const containers = containerImages(res);
    const always: string[] = [];
    for (const c of containers) {
      if (c.image === UNKNOWN || c.pullPolicy === UNKNOWN) deferToPreview(`${res.name}: ${c.path}`);
      if (typeof c.image === "string" && pullsEveryStart(c.image, c.pullPolicy as string | undefined))
        always.push(c.image);
    }
    if (always.length === 0) return;
    const count = PODS_AT_ONCE[kind];
    if (!count) return; // one pod, or a DaemonSet's one per node
    const n = read(res.props, ...count.path);
    if (isUnknown(n)) deferToPreview(`${res.name}: ${count.path.join(".")}`);
    const pods = typeof n === "number" ? n : 1;
    const pulls = pods * always.length;
    const schedule = kind === "CronJob" ? read(res.props, "spec", "schedule") : undefined;
    const everyMinute = typeof schedule === "string" && EVERY_MINUTE.test(schedule.trim());
    if (pulls <= max) return;
    reportViolation(
      `Pods of ${describeWorkload(res)} may fail with ErrImagePull: "pull QPS exceeded": ${pods} pods start at once ` +
        `(${count.what} ${pods}) and pull ${always.map((i) => `"${i}"`).join(", ")} on every start ` +
        "(imagePullPolicy Always, or unset with :latest or no tag), " +
        `${pulls} pulls at once${everyMinute ? `, again every minute (schedule "${schedule}")` : ""}, above ` +
        `maxAlwaysPulls ${max}; the kubelet allows registryPullQPS pulls a second (default 5, burst 10) and refuses the rest ` +
        "(Microsoft's article, cause 6).\n" +
        `Fix: set imagePullPolicy: IfNotPresent on its containers in ${pod.path}` +
        `${always.some((i) => pinsNothing(i)) ? ", and pin the image by tag or digest" : ""}.`,
    );
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: 'ErrImagePull: "pull QPS exceeded"',
    cause: "Pull QPS exceeded: workloads that pull on every start",
    left: { why: WORKLOAD, config: "policy config `maxAlwaysPulls`" },
  },
};
