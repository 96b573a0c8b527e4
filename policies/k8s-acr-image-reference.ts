import { KUBELET_401 } from "../core/plan/remediation";
import { cmd } from "../core/findings/fix";
import { StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { credentialMatch } from "../core/path/authenticate";
import { registryByLoginServer } from "../core/stack/pull-pairs";
import { perTopology, Topology } from "../core/stack/topology";
import { describeWorkload } from "../core/stack/workloads";
import { ALLOWED_LOGIN_SERVERS_SCHEMA, judgedImages } from "./lib/images";
import { deferToPreview, topologyOf } from "./lib/stack";
import { Guides, WORKLOAD } from "./lib/guide";

const NAME = "k8s-acr-image-reference";

export const k8sAcrImageReference: StackValidationPolicy = {
  name: NAME,
  description:
    "Every container image that points at an Azure registry uses a login server that can exist: no misspelt " +
    "domain (azureacr.io), no private-link name, no name no registry can have, no malformed reference. A well-formed " +
    "name a couple of edits from a known registry can exist too: k8s-acr-registry-known asks about it.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#cause-2-image-not-found-error",
  remediationSteps:
    "Correct the image reference in the workload: <registry>.azurecr.io/<repository>:<tag>, with the login server " +
    "`az acr show -n <registry> --query loginServer -o tsv` prints.",
  configSchema: { properties: { allowedLoginServers: ALLOWED_LOGIN_SERVERS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    const { findings, pending } = evaluate(args);
    for (const f of findings) reportViolation(f.message, f.urn);
    if (pending) deferToPreview(pending);
  },
};

export const k8sAcrImageReferenceUnverified: StackValidationPolicy = {
  name: `${NAME}-unverified`,
  description:
    "An image that names its registry in a form the nodes' credential provider matched only from July 2026 (a " +
    "geo-replica's regional endpoint, name.region.geo.azurecr.io, or a domain-name-label login server): on older nodes " +
    "it gets no credentials (401), and the records do not show the nodes' provider.",
  enforcementLevel: "advisory",
  severity: "medium",
  url: "https://learn.microsoft.com/azure/container-registry/container-registry-geo-replication",
  remediationSteps:
    "Name the registry by its login server (`az acr show -n <registry> --query loginServer -o tsv`), or upgrade the " +
    "node image (`az aks nodepool upgrade --node-image-only`).",
  configSchema: { properties: { allowedLoginServers: ALLOWED_LOGIN_SERVERS_SCHEMA } },
  validateStack: (args, reportViolation) => {
    for (const f of evaluate(args).doubts) reportViolation(f.message, f.urn);
  },
};

interface ImageFindings {
  findings: { message: string; urn: string }[];
  doubts: { message: string; urn: string }[];
  pending?: string;
}

/** Both halves' findings, once per request. */
function evaluate(args: StackValidationArgs): ImageFindings {
  const topo = topologyOf(args.resources);
  return perTopology(topo, `${NAME}:${JSON.stringify(args.getConfig())}`, () => decide(args, topo));
}

function decide(args: StackValidationArgs, topo: Topology): ImageFindings {
  const findings: ImageFindings["findings"] = [];
  const doubts: ImageFindings["doubts"] = [];
  const { images, pending: imagesPending } = judgedImages(NAME, args);
  let pending = imagesPending;
  const servers = registryByLoginServer(topo);
  for (const { workload, container, path, image, verdict: v } of images) {
    const where = `Container '${container}' of ${describeWorkload(workload)} (${path})`;
    let finding: string | undefined;
    switch (v.kind) {
      case "malformed":
        finding =
          `${where} will fail with InvalidImageName: couldn't parse image reference "${image}": ${v.reason}.\n` +
          `Fix: write it as <registry>.azurecr.io/<repository>:<tag>, lower case.`;
        break;
      case "brokenHost":
        finding =
          `${where} will fail with ErrImagePull / ImagePullBackOff pulling "${image}": ${v.problem}.\n` +
          (v.suggestion ? `Fix: set the image to "${v.suggestion}". ` : "Fix: correct the registry host. ") +
          (servers.size > 0
            ? `The login servers of the registries this stack shows: ${[...servers.keys()].sort().join(", ")}.`
            : `The registry's login server is the loginServer property of its record (${cmd('az acr list --query "[].loginServer" -o tsv')}).`);
        break;
      case "ok": {
        // authenticate: an image written with a port gets no credentials from the kubelet.
        const match = credentialMatch(image, v, v.loginServer ? servers.get(v.loginServer) : undefined);
        if (match.problem) finding = `${where} will fail with ${match.problem}`;
        if (match.doubt) doubts.push({ message: `${where} may fail with ${match.doubt}`, urn: workload.urn });
        pending ??= match.pending;
        break;
      }
      default:
        break;
    }
    if (finding) findings.push({ message: finding, urn: workload.urn });
  }
  return { findings, doubts, pending };
}

/** What the reports say of this policy: the article's cause, the pull steps it reports, and why the program's plan leaves a finding (policies/lib/guide.ts). */
export const guides: Guides = {
  [NAME]: {
    symptom: 'ErrImagePull / ImagePullBackOff: "dial tcp: lookup <host>: no such host" (or InvalidImageName)',
    cause: "Image not found: the image reference is wrong",
    steps: ["authenticate", "content"],
    left: { why: WORKLOAD, config: "none: correct the image in the workload" },
  },
  [`${NAME}-unverified`]: {
    symptom: KUBELET_401,
    cause:
      "401 Unauthorized: the image names its registry in a form older nodes' credential provider does not match",
    steps: ["authenticate"],
    left: {
      why: WORKLOAD,
      config: "none: name the registry by its login server in the workload, or upgrade the node image",
    },
  },
};
