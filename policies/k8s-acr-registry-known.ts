import { cmd } from "../core/findings/fix";
import { StackValidationPolicy } from "@pulumi/policy";
import { describeWorkload } from "../core/stack/workloads";
import { ALLOWED_LOGIN_SERVERS_SCHEMA, judgedImages } from "./lib/images";
import { deferToPreview } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

const NAME = "k8s-acr-registry-known";

export const k8sAcrRegistryKnown: StackValidationPolicy = {
  name: NAME,
  description:
    "Images pull only from Azure registries the stack declares or the organisation allows (config allowedLoginServers). " +
    "Organisations that keep an allow-list set this policy to mandatory.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#cause-2-image-not-found-error",
  remediationSteps:
    "Check the registry exists (`az acr show -n <registry>`); if it does, add its login server to allowedLoginServers; " +
    "if not, correct the image.",
  configSchema: { properties: { allowedLoginServers: ALLOWED_LOGIN_SERVERS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    const { images, pending } = judgedImages(NAME, args);
    for (const { workload, container, path, image, verdict: v } of images) {
      if (v.kind !== "unknownRegistry") continue;
      const meant = v.nearest
        ? ` Did you mean ${v.nearest}? It is a couple of edits away and in this stack or allowedLoginServers.`
        : "";
      reportViolation(
        `Container '${container}' of ${describeWorkload(workload)} (${path}) pulls "${image}" from ${v.loginServer}, ` +
          "a registry neither in this stack nor in allowedLoginServers. If it does not exist, pods fail with ErrImagePull " +
          `("dial tcp: lookup ${v.loginServer}: no such host"); if it does, nothing here can check that the kubelet may pull from it.` +
          `${meant}\n` +
          `Fix: ${cmd(`az acr show -n ${v.registryName} --query loginServer -o tsv`)}; if the registry exists, add ${v.loginServer} ` +
          `to this policy's allowedLoginServers, otherwise correct the image${v.suggestion ? ` (to "${v.suggestion}", if that was meant)` : ""}.`,
        workload.urn,
      );
    }
    if (pending) deferToPreview(pending);
  },
};

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: 'ErrImagePull: "dial tcp: lookup <host>: no such host"',
    cause: "Image not found: a registry outside the stack and the allow-list",
    steps: ["content"],
    left: {
      why: WORKLOAD,
      config: "policy config `allowedLoginServers` if the registry exists; otherwise correct the image",
    },
  },
};
