import { cmd } from "../core/findings/fix";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { classifyHost, parseImage, pinning } from "../core/stack/images";
import { containerImages, describeWorkload, workloadKind } from "../core/stack/workloads";
import { deferToPreview, resourceOf } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

const NAME = "k8s-image-tag-pinned";

export const k8sImageTagPinned: ResourceValidationPolicy = {
  name: NAME,
  description:
    "Every container image names a version: a digest, or a tag other than latest. Otherwise each pull takes " +
    "whatever was pushed last, nodes can run different code, and a rollback pulls the same image again.",
  enforcementLevel: "advisory",
  severity: "low",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-image-tag-version",
  remediationSteps:
    "Pin a version tag or a digest: `az acr repository show -n <registry> --image <repository>:<tag> --query digest -o tsv` " +
    "gives the digest to write as <image>@<digest>.",
  validateResource: (args, reportViolation) => {
    if (!workloadKind(args.type)) return;
    const res = resourceOf(args);
    let pending: string | undefined;
    for (const { container, path, image } of containerImages(res)) {
      if (typeof image !== "string") {
        if (image !== undefined) pending ??= `${res.name}: ${path}`;
        continue;
      }
      const parsed = parseImage(image);
      if (!parsed.ok) continue; // k8s-acr-image-reference reports malformed references
      const pin = pinning(parsed.ref);
      if (pin === "digest" || pin === "tag") continue;
      const host = classifyHost(parsed.ref.host);
      const digestCommand =
        host.kind === "loginServer"
          ? `az acr repository show -n ${host.registryName} --image ${parsed.ref.repository}:${parsed.ref.tag ?? "latest"} --query digest -o tsv`
          : `docker buildx imagetools inspect ${image}`;
      reportViolation(
        `Container '${container}' of ${describeWorkload(res)} (${path}) runs "${image}", ` +
          (pin === "latest" ? "tagged latest" : "with no tag or digest (the kubelet pulls :latest)") +
          ": each pull takes whatever was pushed last, so nodes can run different code and a rollback changes nothing.\n" +
          `Fix: pin a version tag, or the digest ${cmd(digestCommand)} prints, as ${image.replace(/:latest$/, "")}@<digest>.`,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    cause: "Hygiene: unpinned image tags",
    left: { why: WORKLOAD, config: "none: pin the tag or digest in the workload" },
  },
};
