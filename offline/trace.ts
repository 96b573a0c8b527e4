/**
 * `aks-acr-guard trace`: the pull path of a recorded environment, hop by hop, as a person reads a
 * traceroute. It prints core/path's model, the one the pack's policies report from: the trace and
 * the findings cannot disagree.
 */
import { resourceName, parseArmId } from "../core/stack/arm-id";
import { checkImage, LOGIN_SERVER, parseImage } from "../core/stack/images";
import { credentialMatch } from "../core/path/authenticate";
import { architectureFindings, osFindings } from "../core/path/content";
import { PULL_SECRET_POLICY, pullSecretFindings } from "../core/path/pull-secret";
import { KUBELET_401 } from "../core/plan/remediation";
import { Hop, idOf, pullPath, PullPath, Step } from "../core/path";
import {
  clustersOf,
  DeclaredPull,
  PullPair,
  pullPairs,
  registryByLoginServer,
} from "../core/stack/pull-pairs";
import { buildTopology, ClusterNode, RegistryNode, Topology } from "../core/stack/topology";
import { known } from "../core/stack/values";
import {
  containerImages,
  describeWorkload,
  kubectlName,
  namespacedName,
  pullSecretNames,
} from "../core/stack/workloads";
import { toStackResource } from "./resources";
import { stackOf, World, WorldError } from "./world";

/** What `--format json` prints: documented in docs/trace-schema.md. */
export interface TraceReport {
  version: 1;
  paths: TracePath[];
  summary: { paths: number; pulls: number; fails: number; unknown: number };
}

export interface TracePath {
  cluster: string;
  registry: string;
  image?: string;
  verdict: "pulls" | "fails" | "unknown";
  /** What the cluster's DNS resolves the registry to, where the recording shows it. */
  via?: PullPath["via"];
  /**
   * Why the cluster is taken to pull from the registry (config, a workload, a role assignment, the
   * only pair); `no other evidence` marks a guess, which the pack reports in its advisory halves.
   */
  evidence?: PullPair["evidence"];
  /**
   * Whether the recording shows this pull for certain (the pack reports its failures as mandatory);
   * false for a guessed pair, whose failures are the pack's advisory `-unverified` halves.
   */
  certain: boolean;
  hops: TraceHop[];
}

export interface TraceHop {
  step: Step;
  verdict: "pass" | "fail" | "unknown";
  /** The public policy that reports the hop, where it fails or cannot be decided. */
  policy?: string;
  /** ARM ids (or Kubernetes names) of the resources that decide the hop. */
  evidence: string[];
  detail: string;
  /** The policy's message (the kubelet's text and the fix), where the hop fails or is unsure. */
  message?: string;
  /** What the kubelet prints when this hop fails (`kubectl describe pod`), where it fails. */
  symptom?: string;
}

export interface TraceFilter {
  cluster?: string;
  registry?: string;
  image?: string;
}

/** A cluster or registry named by ARM id, name or (registries) login server. */
function matches(node: ClusterNode | RegistryNode, wanted: string | undefined): boolean {
  if (!wanted) return true;
  const w = wanted.toLowerCase();
  const names = [idOf(node.res), node.label, node.res.name];
  if ("loginServer" in node && known(node.loginServer)) names.push(node.loginServer);
  return names.some((n) => n.toLowerCase() === w || n.toLowerCase() === w.replace(/\/+$/, ""));
}

function traceHop(h: Hop): TraceHop {
  const message = [...h.fails, ...h.unsure][0];
  const symptom = h.verdict === "fail" ? h.symptom : undefined;
  return {
    step: h.step,
    verdict: h.verdict,
    ...(h.verdict !== "pass" ? { policy: h.policy } : {}),
    evidence: h.evidence,
    detail: h.pending ? `${h.detail} (waits on ${h.pending})` : h.detail,
    ...(message ? { message } : {}),
    ...(symptom ? { symptom } : {}),
  };
}

/** The image's own hops: its reference (content) and whether the kubelet sends credentials with it (authenticate). */
function imageHops(
  image: string,
  servers: ReadonlyMap<string, RegistryNode>,
  evidence: string[],
): TraceHop[] {
  const known = new Set(servers.keys());
  const content = contentHop(image, known, evidence);
  const v = checkImage(image, known);
  if (content.verdict !== "pass" || v.kind !== "ok") return [content];
  const registry = v.loginServer ? servers.get(v.loginServer) : undefined;
  const m = credentialMatch(image, v, registry);
  return [
    content,
    {
      step: "authenticate",
      verdict: m.verdict,
      ...(m.verdict === "fail"
        ? { policy: "k8s-acr-image-reference" }
        : m.verdict === "unknown"
          ? { policy: m.doubt ? "k8s-acr-image-reference-unverified" : "k8s-acr-image-reference" }
          : {}),
      evidence: registry ? [idOf(registry.res), ...evidence] : evidence,
      detail: m.pending ? `${m.detail} (waits on ${m.pending})` : m.detail,
      ...(m.problem ? { message: m.problem, symptom: KUBELET_401 } : m.doubt ? { message: m.doubt } : {}),
    },
  ];
}

function contentHop(image: string, knownServers: ReadonlySet<string>, evidence: string[]): TraceHop {
  const v = checkImage(image, knownServers);
  switch (v.kind) {
    case "ok":
      return {
        step: "content",
        verdict: "pass",
        evidence,
        detail: `${image} is well formed and names ${v.loginServer}`,
      };
    case "notAzure":
      return {
        step: "content",
        verdict: "pass",
        evidence,
        detail: `${image} is not an Azure registry image`,
      };
    case "malformed":
      return {
        step: "content",
        verdict: "fail",
        policy: "k8s-acr-image-reference",
        evidence,
        detail: `InvalidImageName: couldn't parse image reference "${image}": ${v.reason}`,
        symptom: `InvalidImageName: couldn't parse image reference "${image}"`,
      };
    case "brokenHost":
      return {
        step: "content",
        verdict: "fail",
        policy: "k8s-acr-image-reference",
        evidence,
        detail: `${v.problem}${v.suggestion ? `; did you mean "${v.suggestion}"?` : ""}`,
        // As k8s-acr-image-reference words it: the host fails to resolve or to answer, by the typo.
        symptom: `ErrImagePull / ImagePullBackOff pulling "${image}"`,
      };
    case "unknownRegistry":
      return {
        step: "content",
        verdict: "unknown",
        policy: "k8s-acr-registry-known",
        evidence,
        detail:
          `${v.loginServer} is no registry the recording shows` +
          (v.suggestion ? `; did you mean "${v.suggestion}"?` : ""),
      };
  }
}

function pathOf(
  topo: Topology,
  pair: PullPair,
  options: Parameters<typeof pullPath>[2],
  image: TraceHop[] = [],
): TracePath {
  const path = pullPath(topo, pair, options);
  // The image's hops in the kubelet's order: its reference first; whether its host gets credentials
  // before the token the credential provider fetches for it, and before authorize.
  const hops = [...image.filter((h) => h.step === "content"), ...path.hops.map(traceHop)];
  const authenticate = image.find((h) => h.step === "authenticate");
  if (authenticate) {
    const at = hops.findIndex((h) => h.step === "authenticate" || h.step === "authorize");
    hops.splice(at < 0 ? hops.length : at, 0, authenticate);
  }
  return {
    cluster: idOf(pair.cluster.res),
    registry: idOf(pair.registry.res),
    verdict: hops.some((h) => h.verdict === "fail")
      ? "fails"
      : hops.some((h) => h.verdict === "unknown")
        ? "unknown"
        : "pulls",
    via: path.via,
    evidence: pair.evidence,
    certain: pair.certain,
    hops,
  };
}

/** The pull paths of a recorded environment, filtered by cluster, registry or image. */
export function traceWorld(world: World, filter: TraceFilter = {}): TraceReport {
  const { resources } = stackOf(world);
  const topo = buildTopology(resources.map(toStackResource));
  const config = world.policyConfig ?? {};
  const egressIps = [
    "acr-firewall-aks-egress",
    "acr-private-dns-link",
    "aks-acr-vnet-peering",
    "aks-acr-hub-firewall",
  ]
    .map((p) => (config[p] as { egressIps?: unknown } | undefined)?.egressIps)
    .find((v): v is string[] => Array.isArray(v));
  const pullRoleDefinitionIds = (
    config["aks-acr-pull-role"] as { pullRoleDefinitionIds?: unknown } | undefined
  )?.pullRoleDefinitionIds;
  const options = {
    egressIps: egressIps ?? [],
    ...(Array.isArray(pullRoleDefinitionIds)
      ? { pullRoleDefinitionIds: pullRoleDefinitionIds as string[] }
      : {}),
  };
  const declared = (config["aks-acr-pull-role"] as { pulls?: DeclaredPull[] } | undefined)?.pulls;
  const clusters = topo.clusters.filter((c) => matches(c, filter.cluster));
  if (filter.cluster && clusters.length === 0)
    throw new WorldError(
      world.file,
      "--cluster",
      `no managed cluster '${filter.cluster}' in the recording (give its ARM id or name: ${topo.clusters.map((c) => c.label).join(", ")})`,
    );
  const registries = topo.registries.filter((r) => matches(r, filter.registry));
  if (filter.registry && registries.length === 0)
    throw new WorldError(
      world.file,
      "--registry",
      `no registry '${filter.registry}' in the recording (give its ARM id, name or login server: ${topo.registries.map((r) => r.label).join(", ")})`,
    );
  const servers = registryByLoginServer(topo);
  const paths: TracePath[] = [];

  if (filter.image) {
    const parsed = parseImage(filter.image);
    const host = parsed.ok ? parsed.ref.host.replace(/:\d+$/, "").toLowerCase() : undefined;
    const hopsOfImage = imageHops(filter.image, servers, []);
    const content = hopsOfImage[0];
    const registry = host ? servers.get(host) : undefined;
    if (content.verdict !== "pass" || !registry) {
      for (const c of clusters)
        paths.push({
          cluster: idOf(c.res),
          registry: host && LOGIN_SERVER.test(host) ? host : (host ?? filter.image),
          image: filter.image,
          verdict: content.verdict === "fail" ? "fails" : "unknown",
          certain: true,
          hops: [content],
        });
    } else {
      for (const c of clusters) {
        const pair: PullPair = { cluster: c, registry, evidence: "config", certain: true };
        paths.push({ ...pathOf(topo, pair, options, hopsOfImage), image: filter.image });
      }
    }
  } else {
    const pairs = pullPairs(topo, declared).filter(
      (p) => clusters.includes(p.cluster) && registries.includes(p.registry),
    );
    for (const pair of pairs) paths.push(pathOf(topo, pair, options));
    // Workload-level causes are hops of the path of the image that hits them: its reference and
    // credentials, and the platform its pods ask for (OS, architecture).
    const windowsPools = (config["k8s-workload-os-selector"] as { windowsNodePools?: unknown } | undefined)
      ?.windowsNodePools;
    const platform = [
      ...osFindings(topo, typeof windowsPools === "boolean" ? windowsPools : undefined).findings,
      ...architectureFindings(topo).findings,
    ];
    const secrets = pullSecretFindings(topo).certain;
    for (const res of topo.workloads) {
      const named = pullSecretNames(res);
      for (const { image } of containerImages(res)) {
        if (typeof image !== "string") continue;
        const own = imageHops(image, servers, [describeWorkload(res)]).find((h) => h.verdict !== "pass");
        const host = parsedHost(image).toLowerCase();
        const hops: TraceHop[] = [
          ...(own ? [own] : []),
          // The pod's pull secrets, where they fail the pull (the kubelet's own credential cannot either).
          ...secrets
            .filter((f) => named.has(namespacedName(f.res)) && (!f.server || f.server.toLowerCase() === host))
            .map((f): TraceHop => ({
              step: "authenticate",
              verdict: "fail",
              policy: PULL_SECRET_POLICY,
              evidence: [describeWorkload(res), kubectlName(f.res)],
              detail: `pull secret ${kubectlName(f.res)} gives no working credential, nor does the kubelet's own`,
              message: f.message,
              symptom: f.symptom,
            })),
          ...platform
            .filter((f) => f.res === res && f.images.includes(image))
            .map((f): TraceHop => ({
              step: "content",
              verdict: "fail",
              policy: f.policy,
              evidence: [describeWorkload(res)],
              detail: f.detail,
              message: f.message,
              symptom: f.symptom,
            })),
        ];
        if (hops.length === 0) continue;
        for (const c of clustersOf(topo, res).clusters.filter((x) => clusters.includes(x)))
          paths.push({
            cluster: idOf(c.res),
            registry: parsedHost(image),
            image,
            verdict: hops.some((h) => h.verdict === "fail") ? "fails" : "unknown",
            // The workload's causes fail wherever it runs: the pack reports them on the workload.
            certain: true,
            hops,
          });
      }
    }
  }
  const count = (v: TracePath["verdict"]) => paths.filter((p) => p.verdict === v).length;
  return {
    version: 1,
    paths,
    summary: { paths: paths.length, pulls: count("pulls"), fails: count("fails"), unknown: count("unknown") },
  };
}

/** What the pods of a cluster print now: the first failing hop of each path the recording shows for certain. */
export interface PrintsNow {
  cluster: string;
  registry: string;
  image?: string;
  policy: string;
  step: Step;
  /** The kubelet's text, where the hop's message names it. */
  symptom?: string;
}

export function printsNow(t: TraceReport): PrintsNow[] {
  return t.paths.flatMap((p) => {
    if (!p.certain) return [];
    const first = p.hops.find((h) => h.verdict === "fail");
    if (!first?.policy) return [];
    return [
      {
        cluster: nameOf(p.cluster),
        registry: nameOf(p.registry),
        ...(p.image ? { image: p.image } : {}),
        policy: first.policy,
        step: first.step,
        ...(first.symptom ? { symptom: first.symptom } : {}),
      },
    ];
  });
}

function parsedHost(image: string): string {
  const p = parseImage(image);
  return p.ok ? p.ref.host : image.split("/")[0];
}

const MARK: Record<TraceHop["verdict"], string> = { pass: "ok  ", fail: "FAIL", unknown: "??  " };
const nameOf = (id: string) => {
  const parsed = parseArmId(id);
  return (parsed && resourceName(parsed)) ?? id;
};

export function renderTraceText(t: TraceReport): string {
  const out: string[] = [];
  out.push(
    `${t.summary.paths} pull ${t.summary.paths === 1 ? "path" : "paths"}: ${t.summary.fails} failing, ` +
      `${t.summary.unknown} not decidable from the recording, ${t.summary.pulls} pulling`,
  );
  for (const p of t.paths) {
    out.push("");
    out.push(
      `${nameOf(p.cluster)} -> ${nameOf(p.registry)}${p.image ? ` (${p.image})` : ""}: ${p.verdict}` +
        (p.via === "no address"
          ? " (the cluster's DNS answers NXDOMAIN for the registry's name)"
          : p.via && p.via !== "unknown"
            ? ` (the registry's name resolves to its ${p.via})`
            : "") +
        (p.certain ? "" : " [not certain: nothing shows for sure that this cluster pulls from it]"),
    );
    p.hops.forEach((h, i) => {
      out.push(`  ${String(i + 1).padStart(2)}  ${h.step.padEnd(12)} ${MARK[h.verdict]}  ${h.detail}`);
      if (h.verdict !== "pass") {
        if (h.policy) out.push(`      ${" ".repeat(12)}       policy: ${h.policy}`);
        if (h.evidence.length)
          out.push(`      ${" ".repeat(12)}       evidence: ${h.evidence.map(nameOf).join(", ")}`);
      }
    });
    const first = p.hops.find((h) => h.verdict === "fail");
    if (first?.message) {
      out.push("  the pods print now:");
      for (const line of first.message.split("\n")) out.push(`    ${line}`);
    }
  }
  return out.join("\n");
}

/** Text inside a Mermaid label, inert: no quote, angle bracket or backtick of a name closes it. */
const mermaidText = (s: string) => s.replace(/["<>`]/g, "'");

/**
 * A path as a Mermaid flowchart naming the resources each hop crosses, as the recording shows them:
 * the cluster, each hop with its evidence (VNets, zone, endpoint, firewall, role assignment...), the
 * registry; failing hops red, undecidable ones yellow. `n` keeps node ids apart on one page.
 */
export function pathDiagram(
  p: Pick<TracePath, "cluster" | "registry" | "hops">,
  n: number,
  fence = "```",
): string[] {
  const out = [
    `${fence}mermaid`,
    "flowchart LR",
    `  c${n}["${mermaidText(nameOf(p.cluster))}<br/>ManagedCluster"]`,
  ];
  let prev = `c${n}`;
  p.hops.forEach((h, i) => {
    const node = `h${n}_${i}`;
    const names = h.evidence.map(nameOf).slice(0, 3).join(", ");
    out.push(`  ${node}["${h.step}: ${h.verdict}${names ? `<br/>${mermaidText(names)}` : ""}"]`);
    out.push(`  ${prev} --> ${node}`);
    if (h.verdict !== "pass") out.push(`  class ${node} ${h.verdict}`);
    prev = node;
  });
  out.push(`  r${n}["${mermaidText(nameOf(p.registry))}<br/>Registry"]`, `  ${prev} --> r${n}`);
  out.push("  classDef fail fill:#fdd,stroke:#c00", "  classDef unknown fill:#ffd,stroke:#aa0", fence);
  return out;
}

export function renderTraceMarkdown(t: TraceReport): string {
  const out: string[] = ["# Pull paths", ""];
  out.push(
    `${t.summary.paths} pull ${t.summary.paths === 1 ? "path" : "paths"}: **${t.summary.fails} failing**, ` +
      `${t.summary.unknown} not decidable from the recording, ${t.summary.pulls} pulling.`,
  );
  t.paths.forEach((p, n) => {
    out.push(
      "",
      `## ${nameOf(p.cluster)} → ${nameOf(p.registry)}${p.image ? ` (\`${p.image}\`)` : ""}: ${p.verdict}`,
      "",
    );
    out.push(...pathDiagram(p, n), "");
    out.push("| # | step | verdict | policy | detail |", "|---|---|---|---|---|");
    p.hops.forEach((h, i) =>
      out.push(
        `| ${i + 1} | ${h.step} | ${h.verdict} | ${h.policy ?? ""} | ${h.detail.replace(/\|/g, "\\|")} |`,
      ),
    );
    const first = p.hops.find((h) => h.verdict === "fail");
    if (first?.message) out.push("", "The pods print now:", "", "```", first.message, "```");
  });
  return out.join("\n");
}
