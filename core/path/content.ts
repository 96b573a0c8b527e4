/**
 * The content step for a workload's images: the platform the node asks the image for. A pod that
 * lands on a node whose OS or CPU architecture the image does not offer fails with "no match for
 * platform in manifest". Judged per workload, by the pools it can land on; the pack's
 * k8s-workload-os-selector and k8s-image-architecture report these findings, and `trace` shows
 * them as the content hop of the image that hits them.
 */
import { cmds } from "../findings/fix";
import { archPin, landingPools, offersArch, platformsOf, PoolArch } from "../platform/arch";
import { parseImage } from "../stack/images";
import { clusterOses, isWindowsImage, osPin } from "../platform/os";
import { clustersOf } from "../stack/pull-pairs";
import { perTopology, StackResource, Topology } from "../stack/topology";
import { Known, UNKNOWN } from "../stack/values";
import { describeWorkload, KnownWorkload, knownWorkloads } from "../stack/workloads";

export const ARCH_POLICY = "k8s-image-architecture";
export const OS_POLICY = "k8s-workload-os-selector";

export const ARCH_SYMPTOM =
  'ErrImagePull: "failed to pull and unpack image ...: no match for platform in manifest: not found" (or 401 Unauthorized ' +
  "where the registry answers a missing platform that way)";
export const OS_SYMPTOM =
  'ErrImagePull: "failed to pull and unpack image ...: no match for platform in manifest: not found"';

/** A workload's content finding: the images it hits (all of the pod's, for an OS pin), and the message. */
export interface ContentFinding {
  res: StackResource;
  policy: string;
  images: string[];
  /** What the kubelet prints. */
  symptom: string;
  /** One line for the trace: what the hop found. */
  detail: string;
  message: string;
}

export interface ContentFindings {
  findings: ContentFinding[];
  /** The first value that waits on preview. */
  pending?: string;
}

/** Each workload whose image does not offer the architecture of a pool it can land on, by what the stack shows. */
export function architectureFindings(topo: Topology): ContentFindings {
  return perTopology(topo, `${ARCH_POLICY}:findings`, () => {
    const findings: ContentFinding[] = [];
    const { workloads, pending: firstPending } = knownWorkloads(topo.workloads, archPin);
    let pending = firstPending;
    for (const w of workloads) {
      const found = judgeArchitecture(topo, w);
      if (typeof found === "string") pending ??= found;
      else findings.push(...found);
    }
    return { findings, pending };
  });
}

function judgeArchitecture(
  topo: Topology,
  { res: w, pod, pin, images }: KnownWorkload<{ arches: string[]; via: string } | undefined>,
): ContentFinding[] | string {
  // Images whose platforms nothing read are k8s-workload-arch-selector's to speak for.
  const read = images.flatMap((image) => {
    const known = typeof image === "string" ? platformsOf(topo, image) : undefined;
    return known ? [{ image: image as string, known }] : [];
  });
  if (read.length === 0) return [];
  const landing = landingPools(topo, w, pin?.arches);
  if (landing === UNKNOWN) return `${w.name}: its cluster's agentPoolProfiles[].vmSize`;
  const out: ContentFinding[] = [];
  for (const { image, known } of read) {
    // Certain when the workload's cluster is known, or when every cluster has a pool it would fail on.
    const missing = landing.clusters.map((c) => ({
      label: c.label,
      pools: c.pools.filter((p) => !offersArch(known.platforms, p.arch)),
    }));
    const failing = missing.filter((c) => c.pools.length > 0);
    if (failing.length === 0 || (!landing.certain && failing.length < missing.length)) continue;
    const { label, pools } = failing[0];
    const where = pools.map((p: PoolArch) => `'${p.pool}' (${p.vmSize}, ${p.arch})`).join(" and ");
    const offered = known.platforms.length ? known.platforms.join(", ") : "no platform";
    out.push({
      res: w,
      policy: ARCH_POLICY,
      images: [image],
      symptom: ARCH_SYMPTOM,
      detail: `image "${image}" offers ${offered}, not the ${pools[0].arch} of node pool '${pools[0].pool}'`,
      message:
        `Pods of ${describeWorkload(w)} that land on node pool ${where} of cluster '${label}' will fail with ${ARCH_SYMPTOM}: ` +
        `image "${image}" offers only ${offered} (its manifest, as the registry answered it)` +
        `${pin ? `, and the workload pins ${pin.arches.join(", ")} through ${pin.via}` : ", and the workload pins no architecture"}.\n` +
        `Fix: publish a multi-architecture image (${cmds(buildCommands(image))}; ACR Tasks builds one platform per run), ` +
        "or pin the workload to an architecture the image offers: " +
        `nodeSelector: {"kubernetes.io/arch": "${offeredArch(known.platforms) ?? "amd64"}"} in ${pod.path}.`,
    });
  }
  return out;
}

/** The commands that push a multi-architecture image under the same tag. */
function buildCommands(image: string): string[] {
  const parsed = parseImage(image);
  if (!parsed.ok) return ["docker buildx build --platform linux/amd64,linux/arm64 --push -t <image> ."];
  const { host, repository, tag } = parsed.ref;
  return [
    `az acr login -n ${host.split(".")[0]}`,
    `docker buildx build --platform linux/amd64,linux/arm64 --push -t ${host}/${repository}:${tag ?? "latest"} .`,
  ];
}

const offeredArch = (platforms: readonly string[]) =>
  platforms.map((p) => p.split("/")).find(([os]) => os === "linux")?.[1];

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
  return certain ? decide() : perTopology(topo, `${OS_POLICY}:any-cluster`, decide);
}

/**
 * Each workload that can land on a node of another OS than its image's: a Windows-only image
 * pinned to no Windows, or no OS pin in a cluster with Windows pools. `windowsPools` is the
 * policy's config, where the stack cannot show the cluster's pools.
 */
export function osFindings(topo: Topology, windowsPools?: boolean): ContentFindings {
  return perTopology(topo, `${OS_POLICY}:findings:${windowsPools}`, () => {
    const findings: ContentFinding[] = [];
    const { workloads, pending: firstPending } = knownWorkloads(topo.workloads, osPin);
    let pending = firstPending;
    for (const { res: w, pod, pin, images } of workloads) {
      const named = images.filter((i): i is string => typeof i === "string");
      const windowsImage = named.find(isWindowsImage);
      const where = `${describeWorkload(w)} (${pod.path})`;
      if (windowsImage && pin?.os !== "windows") {
        findings.push({
          res: w,
          policy: OS_POLICY,
          images: [windowsImage],
          symptom: OS_SYMPTOM,
          detail: `Windows-only image "${windowsImage}" with ${pin ? `a ${pin.os} pin` : "no OS pin"}: its pods can land on Linux nodes`,
          message:
            `Pods of ${where} run Windows-only image "${windowsImage}" but ${pin ? `pin ${pin.os} through ${pin.via}` : "pin no OS"}: ` +
            `on a Linux node the pull fails with ${OS_SYMPTOM}.\n` +
            `Fix: set nodeSelector: {"kubernetes.io/os": "windows"} in ${pod.path} (kubectl patch ... -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"windows"}}}}}').`,
        });
        continue;
      }
      if (pin) continue;
      const cluster = windowsPools === undefined ? windowsClusterOf(topo, w) : windowsPools ? "" : undefined;
      if (cluster === UNKNOWN) {
        pending ??= `${w.name}: its cluster's agentPoolProfiles[].osType`;
        continue;
      }
      if (cluster === undefined) continue;
      findings.push({
        res: w,
        policy: OS_POLICY,
        images: named,
        symptom: OS_SYMPTOM,
        detail: "no OS pin in a cluster with Windows node pools: its pods can land on Windows nodes",
        message:
          `Pods of ${where} pin no OS in ${cluster ? `cluster '${cluster}', which has` : "a cluster with"} Windows node pools: ` +
          `scheduled on a Windows node, the pull fails with ${OS_SYMPTOM}.\n` +
          `Fix: set nodeSelector: {"kubernetes.io/os": "linux"} in ${pod.path}, or set this policy to remediate to add it.`,
      });
    }
    return { findings, pending };
  });
}
