/**
 * Every place a container image can hide in a Kubernetes stack: the pod spec of Pods, Deployments,
 * StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, PodTemplates and ReplicationControllers
 * (any API version, and their `*Patch` variants), and in each its containers, initContainers and
 * ephemeralContainers.
 */
import type { StackResource } from "./resource";
import { isUnknown, Known, read, UNKNOWN } from "./values";

/** Where the pod spec sits in each kind of workload. */
const POD_SPEC_PATH: Record<string, string[]> = {
  Pod: ["spec"],
  PodTemplate: ["template", "spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;
const KUBERNETES_TOKEN = /^kubernetes:[a-z0-9.-]+\/[a-z0-9]+:([A-Za-z]+?)(?:Patch)?$/;

export interface ContainerImage {
  /** Where it is, as a path a person can follow: `spec.template.spec.initContainers[0].image`. */
  path: string;
  container: string;
  image: Known<string> | undefined;
  /** `imagePullPolicy` as written (undefined when unset: Kubernetes decides by the tag). */
  pullPolicy?: Known<string>;
}

export interface PodSpecRef {
  path: string;
  spec: Known<Record<string, unknown>>;
}

/** The kind (`Deployment`) of a workload type token, or undefined for anything else. */
export function workloadKind(type: string): string | undefined {
  const m = KUBERNETES_TOKEN.exec(type);
  return m && POD_SPEC_PATH[m[1]] ? m[1] : undefined;
}

export function podSpecOf(res: StackResource): PodSpecRef | undefined {
  const kind = workloadKind(res.type);
  if (!kind) return undefined;
  const path = POD_SPEC_PATH[kind];
  const spec = read(res.props, ...path);
  if (spec === UNKNOWN) return { path: path.join("."), spec: UNKNOWN };
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) return undefined;
  return { path: path.join("."), spec: spec as Record<string, unknown> };
}

/** Every container's image in a workload; UNKNOWN where preview does not know it yet. */
export function containerImages(res: StackResource): ContainerImage[] {
  const pod = podSpecOf(res);
  if (!pod) return [];
  if (pod.spec === UNKNOWN) return [{ path: pod.path, container: "*", image: UNKNOWN }];
  const out: ContainerImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = pod.spec[list];
    if (isUnknown(containers)) {
      out.push({ path: `${pod.path}.${list}`, container: "*", image: UNKNOWN });
      continue;
    }
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      const path = `${pod.path}.${list}[${i}].image`;
      if (isUnknown(c)) {
        out.push({ path, container: `${list}[${i}]`, image: UNKNOWN });
        return;
      }
      const name = read(c, "name");
      const image = read(c, "image");
      const policy = read(c, "imagePullPolicy");
      out.push({
        path,
        container: typeof name === "string" ? name : `${list}[${i}]`,
        image: image === UNKNOWN || typeof image === "string" ? (image as Known<string>) : undefined,
        ...(policy === UNKNOWN || typeof policy === "string" ? { pullPolicy: policy as Known<string> } : {}),
      });
    });
  }
  return out;
}

/** `'default/web'`: a Kubernetes object's namespace and name, as `kubectl` shows them. */
export function kubectlName(res: StackResource): string {
  const name = read(res.props, "metadata", "name");
  const ns = read(res.props, "metadata", "namespace");
  return `'${typeof ns === "string" ? `${ns}/` : ""}${typeof name === "string" ? name : res.name}'`;
}

/** `Deployment 'default/web'`: the workload as `kubectl` names it. */
export function describeWorkload(res: StackResource): string {
  return `${workloadKind(res.type) ?? res.type} ${kubectlName(res)}`;
}

/** A workload whose pod spec, node pin and images are known. */
export interface KnownWorkload<P> {
  res: StackResource;
  pod: { path: string; spec: Record<string, unknown> };
  pin: P;
  images: (string | undefined)[];
}

/**
 * The stack's workloads whose pod spec, pin (`pinOf`: an OS or architecture pin) and images are
 * known, and the first value that is not (during preview): one walk for the checks that judge a
 * workload by where it can land.
 */
export function knownWorkloads<P>(
  workloads: readonly StackResource[],
  pinOf: (spec: Record<string, unknown>) => Known<P>,
): { workloads: KnownWorkload<P>[]; pending?: string } {
  const out: KnownWorkload<P>[] = [];
  let pending: string | undefined;
  for (const res of workloads) {
    const pod = podSpecOf(res);
    if (!pod) continue;
    if (pod.spec === UNKNOWN) {
      pending ??= `${res.name}: ${pod.path}`;
      continue;
    }
    const pin = pinOf(pod.spec);
    if (pin === UNKNOWN) {
      pending ??= `${res.name}: ${pod.path}.nodeSelector`;
      continue;
    }
    const images = containerImages(res).map((c) => c.image);
    if (images.includes(UNKNOWN)) {
      pending ??= `${res.name}: images`;
      continue;
    }
    out.push({
      res,
      pod: { path: pod.path, spec: pod.spec },
      pin: pin as P,
      images: images as (string | undefined)[],
    });
  }
  return { workloads: out, pending };
}

/** The namespace a Kubernetes object is in: `default` where it names none. */
const namespaceOf = (res: StackResource) => {
  const ns = read(res.props, "metadata", "namespace");
  return typeof ns === "string" ? ns : "default";
};

/** `namespace/name` of a Kubernetes object. */
export function namespacedName(res: StackResource): string {
  return `${namespaceOf(res)}/${String(read(res.props, "metadata", "name") ?? res.name)}`;
}

/** The pull secrets a workload's pods name (`imagePullSecrets`), as `namespace/name`, in its own namespace. */
export function pullSecretNames(res: StackResource): Set<string> {
  const pod = podSpecOf(res);
  const out = new Set<string>();
  if (!pod || typeof pod.spec !== "object") return out;
  const list = read(pod.spec, "imagePullSecrets");
  for (const s of Array.isArray(list) ? list : []) {
    const name = read(s, "name");
    if (typeof name === "string") out.add(`${namespaceOf(res)}/${name}`);
  }
  return out;
}
