/**
 * A check judged pull pair by pull pair, as two policies (mandatory means certain): the public name
 * judges the pairs the stack shows for certain; its advisory `-unverified` half judges the guessed
 * ones, once per cluster, and what the certain pairs leave undecidable.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { pullPairs } from "../../core/stack/pull-pairs";
import { ClusterNode, perTopology, RegistryNode, Topology } from "../../core/stack/topology";
import { hopsOf, pullPath } from "../../core/path";
import { declaredPulls, ipv4List, ipv4ListSchema, PULLS_SCHEMA } from "./config";
import { deferToPreview, Evaluation, Violation, topologyOf } from "./stack";

export interface PairCheck {
  name: string;
  /** What the mandatory half checks. */
  description: string;
  /** What the `-unverified` half adds: the check's own undecidable cases, beside guessed pairs. */
  unverifiedCases?: string;
  severity: StackValidationPolicy["severity"];
  url: string;
  remediationSteps: string;
  /** The `-unverified` half's own description and remediation, where the check's own cases need words of their own. */
  unverified?: Pick<StackValidationPolicy, "description" | "remediationSteps">;
  /** Both halves' config schema. @default `pulls` and the path's `egressIps` */
  configSchema?: StackValidationPolicy["configSchema"];
  /**
   * The check's evaluation of a request, where it is not its hops of the path (aks-acr-pull-role
   * reads the authorize step's verdicts with its own config). Called once per request and config.
   */
  evaluate?: (topo: Topology, config: Record<string, unknown>) => PairEvaluation;
}

/** The evaluation of a check over a request: once for both halves, per topology and config. */
export interface PairEvaluation extends Evaluation {
  /** The first value the `-unverified` half waits on. */
  unverifiedPending?: string;
}

/** Config every check of the path reads beside `pulls`: the model reads it whichever policy asks. */
const PATH_CONFIG: Record<string, PolicyConfigJSONSchema> = {
  egressIps: ipv4ListSchema(
    "Egress IPs the stack cannot show (e.g. a firewall managed elsewhere), taken as every cluster's public egress.",
  ),
};

export function evaluatePairs(
  check: Pick<PairCheck, "name">,
  topo: Topology,
  config: Record<string, unknown>,
): PairEvaluation {
  return perTopology(topo, `${check.name}:${JSON.stringify(config)}`, () => {
    const out: PairEvaluation = { certain: [], unverified: [] };
    // The network hops only: the authorize step is aks-acr-pull-role's, from the same function.
    const options = { egressIps: ipv4List(check.name, config, "egressIps"), authorize: false };
    const guessed = new Map<ClusterNode, { registries: RegistryNode[]; lines: string[] }>();
    for (const pair of pullPairs(topo, declaredPulls(check.name, config))) {
      const hops = hopsOf(pullPath(topo, pair, options), check.name);
      const v = {
        fails: hops.flatMap((h) => h.fails),
        unsure: hops.flatMap((h) => h.unsure),
        pending: hops.find((h) => h.pending)?.pending,
      };
      const on = (message: string): Violation => ({ message, urn: pair.cluster.res.urn });
      if (pair.certain) {
        out.pending ??= v.pending;
        out.certain.push(...v.fails.map(on));
        out.unverified.push(...(v.unsure ?? []).map(on));
        continue;
      }
      out.unverifiedPending ??= v.pending;
      const lines = [...v.fails, ...(v.unsure ?? [])];
      if (lines.length === 0) continue;
      const g = guessed.get(pair.cluster) ?? { registries: [], lines: [] };
      if (!g.registries.includes(pair.registry)) g.registries.push(pair.registry);
      g.lines.push(...lines);
      guessed.set(pair.cluster, g);
    }
    for (const [cluster, g] of guessed)
      out.unverified.push({ message: guessedMessage(check.name, cluster, g), urn: cluster.res.urn });
    return out;
  });
}

/** One finding per cluster for the pairs the stack can only guess: never clusters x registries. */
function guessedMessage(
  name: string,
  c: ClusterNode,
  g: { registries: RegistryNode[]; lines: string[] },
): string {
  const registries = [...g.registries].sort((a, b) => a.label.localeCompare(b.label));
  return (
    `Pods on cluster '${c.label}' fail to pull if it pulls from ${registries.map((r) => `'${r.label}'`).join(", ")}, but ` +
    "nothing in this stack shows that it does (no workload on a Kubernetes provider made from its kubeconfig, no role " +
    "assignment to its identities, no `pulls` config), so this is not certain:\n" +
    g.lines.map((l) => `- ${l.replace(/\n/g, "\n  ")}`).join("\n") +
    `\nTo make it certain: set the \`pulls\` config of ${name} and ${name}-unverified ` +
    `([{"cluster": "${c.label}", "registry": "<registry>"}]), or deploy the cluster's workloads through a Kubernetes ` +
    "provider made from its kubeconfig; then the pairs it really pulls are judged by the mandatory policy."
  );
}

/** The check's two policies: `name` (mandatory, certain pairs) and `name-unverified` (advisory). */
export function pairPolicies(check: PairCheck): [StackValidationPolicy, StackValidationPolicy] {
  const configSchema = check.configSchema ?? { properties: { pulls: PULLS_SCHEMA, ...PATH_CONFIG } };
  const evaluate = (args: Parameters<StackValidationPolicy["validateStack"]>[0]) => {
    const topo = topologyOf(args.resources);
    const config = args.getConfig<Record<string, unknown>>();
    const own = check.evaluate;
    // Both halves ask, over the same request: decided once for the topology and this config.
    return own
      ? perTopology(topo, `${check.name}:${JSON.stringify(config)}`, () => own(topo, config))
      : evaluatePairs(check, topo, config);
  };
  return [
    {
      name: check.name,
      description: check.description,
      enforcementLevel: "mandatory",
      severity: check.severity,
      url: check.url,
      remediationSteps: check.remediationSteps,
      configSchema,
      validateStack: (args, reportViolation) => {
        const { certain, pending } = evaluate(args);
        for (const f of certain) reportViolation(f.message, f.urn);
        if (pending) deferToPreview(pending);
      },
    },
    {
      name: `${check.name}-unverified`,
      description:
        check.unverified?.description ??
        `${check.name}, for what the stack cannot show for certain: clusters whose registries it can only guess (no ` +
          "workload on a provider made from the cluster's kubeconfig, no role assignment, no `pulls` config), reported " +
          `once per cluster${check.unverifiedCases ? `; and ${check.unverifiedCases}` : ""}. Organisations that require the ` +
          "wiring in code set it mandatory.",
      enforcementLevel: "advisory",
      severity: "medium",
      url: check.url,
      remediationSteps:
        check.unverified?.remediationSteps ??
        "Say which registries each cluster pulls from (policy config `pulls`, or workloads deployed through a Kubernetes " +
          `provider made from the cluster's kubeconfig); then ${check.name} judges those pairs for certain. ${check.remediationSteps}`,
      configSchema,
      validateStack: (args, reportViolation) => {
        const { unverified, unverifiedPending } = evaluate(args);
        for (const f of unverified) reportViolation(f.message, f.urn);
        if (unverifiedPending) deferToPreview(unverifiedPending);
      },
    },
  ];
}
