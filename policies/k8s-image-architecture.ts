import { StackValidationPolicy } from "@pulumi/policy";
import { parseImage } from "../core/images";
import { archPin, landingPools, offersArch, platformsOf, PoolArch } from "../core/arch";
import { Topology } from "../core/topology";
import { describeWorkload, KnownWorkload, knownWorkloads } from "../core/workloads";
import { UNKNOWN } from "../core/values";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "k8s-image-architecture";
export const ARCH_SYMPTOM =
  'ErrImagePull: "failed to pull and unpack image ...: no match for platform in manifest: not found" (or 401 Unauthorized ' +
  "where the registry answers a missing platform that way)";
export const ARCH_URL =
  "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster";

/** Each workload whose image does not offer the architecture of a pool it can land on, by what the stack shows. */
function findings(topo: Topology): { messages: { message: string; urn: string }[]; pending?: string } {
  const messages: { message: string; urn: string }[] = [];
  const { workloads, pending: firstPending } = knownWorkloads(topo.workloads, archPin);
  let pending = firstPending;
  for (const w of workloads) {
    const found = judge(topo, w);
    if (typeof found === "string") pending ??= found;
    else messages.push(...found.map((message) => ({ message, urn: w.res.urn })));
  }
  return { messages, pending };
}

function judge(
  topo: Topology,
  { res: w, pod, pin, images }: KnownWorkload<{ arches: string[]; via: string } | undefined>,
): string[] | string {
  // Images whose platforms nothing read are k8s-workload-arch-selector's to speak for.
  const read = images.flatMap((image) => {
    const known = typeof image === "string" ? platformsOf(topo, image) : undefined;
    return known ? [{ image: image as string, known }] : [];
  });
  if (read.length === 0) return [];
  const landing = landingPools(topo, w, pin?.arches);
  if (landing === UNKNOWN) return `${w.name}: its cluster's agentPoolProfiles[].vmSize`;
  const out: string[] = [];
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
    out.push(
      `Pods of ${describeWorkload(w)} that land on node pool ${where} of cluster '${label}' will fail with ${ARCH_SYMPTOM}: ` +
        `image "${image}" offers only ${offered} (its manifest, as the registry answered it)` +
        `${pin ? `, and the workload pins ${pin.arches.join(", ")} through ${pin.via}` : ", and the workload pins no architecture"}.\n` +
        `Fix: publish a multi-architecture image (${buildCommand(image)}; az acr build takes one platform per build), ` +
        "or pin the workload to an architecture the image offers: " +
        `nodeSelector: {"kubernetes.io/arch": "${offeredArch(known.platforms) ?? "amd64"}"} in ${pod.path}.`,
    );
  }
  return out;
}

/** The commands that push a multi-architecture image under the same tag. */
function buildCommand(image: string): string {
  const parsed = parseImage(image);
  if (!parsed.ok) return "docker buildx build --platform linux/amd64,linux/arm64 --push -t <image> .";
  const { host, repository, tag } = parsed.ref;
  return (
    `az acr login -n ${host.split(".")[0]} && docker buildx build --platform linux/amd64,linux/arm64 --push ` +
    `-t ${host}/${repository}:${tag ?? "latest"} .`
  );
}

const offeredArch = (platforms: readonly string[]) =>
  platforms.map((p) => p.split("/")).find(([os]) => os === "linux")?.[1];

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
    "linux/amd64,linux/arm64 --push -t <login server>/<repository>:<tag> .; az acr build takes one platform per build), " +
    "or pin the workload to an architecture its image offers " +
    '(`kubectl patch deployment <name> -p \'{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/arch":"amd64"}}}}}\'`).',
  validateStack: (args, reportViolation) => {
    const { messages, pending } = findings(topologyOf(args.resources));
    for (const f of messages) reportViolation(f.message, f.urn);
    if (pending) deferToPreview(pending);
  },
};
