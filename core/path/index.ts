/**
 * The kubelet's pull, as one model: for a cluster and a registry, the steps the pull takes (resolve,
 * route, admit, authenticate, authorize), each a hop with a verdict, the policy that reports it, the
 * messages (the kubelet's text and the fix) and the resources that decide it. The pack's network
 * policies report the hops of this model, the `trace` command prints it, and the plan reads it: one
 * walk of the facts, so they cannot disagree.
 *
 * Which hops are walked follows the path: the cluster resolves the registry's name to a private
 * endpoint or to the public address, and only that path's route and admission decide the pull. A
 * private endpoint beside a public path that admits the cluster does not make an unlinked zone a
 * failure; a public path that refuses the cluster because the private one is not resolved belongs
 * to the resolve hop's finding, not to one of its own.
 */
import { clusterVnets, privateEndpointsOf, privateLinkZones } from "../network/network";
import { evaluatePullAccess, PullVerdict } from "../identity/pull-access";
import { KUBELET_401 } from "../plan/remediation";
import type { PullPair } from "../stack/pull-pairs";
import { perTopology, Topology } from "../stack/topology";
import { known, UNKNOWN } from "../stack/values";
import { tokenAudience } from "./authenticate";
import { kubeletOnScaleSets, spSecretValid } from "./identity";
import { egressJudge, publicAdmission, publicRefusal } from "./admit";
import { firewallJudge, PublicFirewall, publicFirewallJudge } from "./firewall";
import { HopVerdict, idOf, PathOptions, Step } from "./hop";
import { dnsJudge } from "./resolve";
import { connectionJudge, peeringJudge, subnetJudge } from "./route";

export type { PathOptions, Step } from "./hop";
export { idOf, STEPS } from "./hop";

/** The public policies that report a hop of the path, by what they check. */
export const PATH_POLICIES = {
  dns: "acr-private-dns-link",
  peering: "aks-acr-vnet-peering",
  egress: "acr-firewall-aks-egress",
  firewall: "aks-acr-hub-firewall",
  pullRole: "aks-acr-pull-role",
  subnet: "aks-subnet-nsg-acr",
} as const;

export interface Hop extends Required<Pick<HopVerdict, "fails" | "unsure" | "commands">> {
  step: Step;
  /** The public policy that reports this hop when it fails or cannot be decided. */
  policy: string;
  verdict: "pass" | "fail" | "unknown";
  pending?: string;
  /** One line for the trace: what the hop found. */
  detail: string;
  /** ARM ids (or URNs, for what has none yet) of the resources that decide the hop. */
  evidence: string[];
  /** What the kubelet prints where the hop fails (its first message's symptom, or authorize's 401). */
  symptom?: string;
}

export interface PullPath {
  pair: PullPair;
  /** Where the cluster's DNS sends the pull. */
  via: "private endpoint" | "public endpoint" | "no address" | "unknown";
  verdict: "pulls" | "fails" | "unknown";
  hops: Hop[];
}

/** The path of one pull, walked once per request's topology and options. */
export function pullPath(topo: Topology, pair: PullPair, options: PathOptions = {}): PullPath {
  // Options are keyed by value (absent and empty alike), so callers with the same config share a walk.
  const o = JSON.stringify([
    options.egressIps ?? [],
    options.knownApplianceIps ?? [],
    options.pullRoleDefinitionIds ?? [],
    options.authorize !== false,
  ]);
  const key = `pull-path:${pair.cluster.res.urn}|${pair.registry.res.urn}|${pair.certain}|${o}`;
  return perTopology(topo, key, () => walk(topo, pair, options));
}

/** The hops one policy reports, from the pair's path. */
export function hopsOf(path: PullPath, policy: string): Hop[] {
  return path.hops.filter((h) => h.policy === policy);
}

function judgesOf(topo: Topology, options: PathOptions) {
  // Only the egress and subnet judges read the options: the others are shared by every caller.
  const key = JSON.stringify([options.egressIps ?? [], options.knownApplianceIps ?? []]);
  return perTopology(topo, `pull-path-judges:${key}`, () => ({
    subnet: subnetJudge(topo, options.knownApplianceIps ?? []),
    dns: dnsJudge(topo),
    peering: peeringJudge(topo),
    connection: connectionJudge(topo),
    egress: egressJudge(topo, options),
    firewall: firewallJudge(topo),
    publicFirewall: publicFirewallJudge(topo),
  }));
}

function walk(topo: Topology, pair: PullPair, options: PathOptions): PullPath {
  const judges = judgesOf(topo, options);
  const { registry } = pair;
  const hops: Hop[] = [];
  const may = pair.certain ? "will" : "would";
  let first: Hop | undefined;
  // The first failing hop is what the pods print now; a later one, what they print once it is fixed.
  const will = () => (first ? `${may} still fail, once ${first.policy}'s finding is fixed,` : `${may} fail`);
  const hop = (
    step: Step,
    policy: string,
    v: HopVerdict,
    detail: string,
    evidence: string[],
    verdict?: Hop["verdict"],
  ): Hop => {
    const h: Hop = {
      step,
      evidence,
      policy,
      fails: v.fails,
      unsure: v.unsure ?? [],
      commands: v.commands ?? [],
      pending: v.pending,
      detail,
      verdict: verdict ?? (v.fails.length > 0 ? "fail" : v.unsure?.length || v.pending ? "unknown" : "pass"),
      ...(v.fails.length > 0 && v.symptom ? { symptom: v.symptom } : {}),
    };
    hops.push(h);
    if (h.verdict === "fail") first ??= h;
    return h;
  };
  const pass: HopVerdict = { fails: [] };
  const login = known(registry.loginServer)
    ? registry.loginServer
    : known(registry.name)
      ? `${registry.name.toLowerCase()}.azurecr.io`
      : registry.label;
  const pes = privateEndpointsOf(topo, registry);
  const registryId = idOf(registry.res);
  const peIds = pes.map((p) => idOf(p.res));
  const zoneIds = perTopology(topo, "pull-path:zone-ids", () =>
    privateLinkZones(topo).map((z) => idOf(z.res)),
  );
  const vnetIds = [
    ...new Set([
      ...clusterVnets(topo, pair.cluster).vnets.map((v) => v.raw),
      ...pes.flatMap((p) => (known(p.vnet) && p.vnet ? [p.vnet.raw] : [])),
    ]),
  ];
  const firewallIds = [
    ...(topo.byKind.get("azureFirewall") ?? []),
    ...(topo.byKind.get("firewallPolicyRuleCollectionGroup") ?? []),
  ].map(idOf);

  // resolve: which address the cluster's DNS gives the registry's name.
  let via: PullPath["via"];
  let publicChecked = false;
  if (pes.length === 0) {
    via = "public endpoint";
    hop(
      "resolve",
      PATH_POLICIES.dns,
      pass,
      `${login} resolves to the registry's public address (no private endpoint is shown)`,
      [registryId],
    );
  } else if (!judges.dns) {
    via = "unknown";
    hop(
      "resolve",
      PATH_POLICIES.dns,
      pass,
      `no privatelink zone is shown: whether ${login} resolves to private endpoint ${pes.map((p) => `'${p.res.name}'`).join(", ")} is not known here`,
      peIds,
      "unknown",
    );
  } else {
    const v = judges.dns(pair, will());
    if (v.fails.length === 0) {
      via = v.unsure?.length || v.pending ? "unknown" : "private endpoint";
      hop(
        "resolve",
        PATH_POLICIES.dns,
        v,
        `${login} resolves to private endpoint ${pes.map((p) => `'${p.res.name}'`).join(", ")}`,
        [...zoneIds, ...peIds],
      );
    } else {
      // The name resolves to the public address: the pull fails there only if the public endpoint
      // refuses the cluster (a private endpoint does not close an open public path).
      publicChecked = true;
      const admission = publicAdmission(topo, pair, options);
      // A name the linked zone lacks gets NXDOMAIN: that fails whatever the public path does.
      const standing = v.standing ?? [];
      const others = v.fails.filter((m) => !standing.includes(m));
      const nowhere = standing.length > 0 && others.length === 0;
      const evidence = [...zoneIds, registryId];
      if (admission.admits === true) {
        via = nowhere ? "no address" : "public endpoint";
        hop(
          "resolve",
          PATH_POLICIES.dns,
          { fails: standing },
          standing.length
            ? `the cluster's DNS answers NXDOMAIN for a name of ${login}: the linked zone does not hold it`
            : `${login} resolves to the public address, not to private endpoint ${pes.map((p) => `'${p.res.name}'`).join(", ")}; ` +
                "the registry admits the cluster there, so the pull goes over the public path",
          evidence,
        );
      } else if (admission.admits === UNKNOWN) {
        via = nowhere ? "no address" : "unknown";
        hop(
          "resolve",
          PATH_POLICIES.dns,
          { fails: standing, pending: admission.pending },
          `${login} resolves to the public address; whether the registry admits the cluster there waits on preview`,
          evidence,
        );
      } else if (admission.admits === undefined) {
        via = nowhere ? "no address" : "public endpoint";
        hop(
          "resolve",
          PATH_POLICIES.dns,
          {
            fails: standing,
            unsure: others.map(
              (m) =>
                `${m}\n(Not certain: the registry's network rules (defaultAction: Deny) may admit the cluster's egress IPs, which this ` +
                "stack does not show; set them in config egressIps to decide.)",
            ),
          },
          `${login} resolves to the public address; whether the registry's IP rules admit the cluster's egress is not shown`,
          evidence,
        );
      } else {
        via = nowhere ? "no address" : "public endpoint";
        hop(
          "resolve",
          PATH_POLICIES.dns,
          v,
          nowhere
            ? `the cluster's DNS answers NXDOMAIN for a name of ${login}: the linked zone does not hold it`
            : `${login} resolves to the public address, where ${publicRefusal(admission)}`,
          evidence,
        );
      }
    }
  }

  // route: the way to the address (peering and the endpoint's connection on the private path; the
  // hub firewall on either). Walked unless the public path admits the pull: a private path that is
  // broken beside an unlinked zone is a failure of its own, fixed only after the zone is.
  const publicOnly = via === "public endpoint" && !first;
  if (pes.length > 0 && !publicOnly) {
    const p = judges.peering(pair, will());
    hop(
      "route",
      PATH_POLICIES.peering,
      p,
      p.fails.length
        ? "the private endpoint's VNet is not reachable from the cluster's"
        : "the cluster's VNets reach the private endpoint's VNet (same VNet, or peered both ways)",
      vnetIds,
    );
    const c = judges.connection(pair, will());
    hop(
      "route",
      PATH_POLICIES.peering,
      c,
      c.fails.length
        ? "the private endpoint's connection carries no traffic"
        : "the private endpoint's connection is Approved, or not shown",
      peIds,
    );
  }
  // On the public path the firewall must let the kubelet reach the login server here, and where
  // layers come from at the layers step; on the private path, the endpoint's IPs carry both.
  let layers: PublicFirewall["layers"] | undefined;
  if (judges.publicFirewall && via === "public endpoint" && (pes.length === 0 || publicOnly)) {
    const f = judges.publicFirewall(pair, will());
    hop(
      "route",
      PATH_POLICIES.firewall,
      f.route,
      f.route.fails.length
        ? "the hub firewall drops the pull to the login server"
        : "the hub firewall lets the pull reach the login server, or is not on its path",
      firewallIds,
    );
    layers = f.layers;
  } else if (judges.firewall) {
    const f = judges.firewall(pair, will());
    hop(
      "route",
      PATH_POLICIES.firewall,
      f,
      f.fails.length
        ? "the hub firewall drops the pull"
        : "the hub firewall lets the pull through, or is not on its path",
      firewallIds,
    );
  }

  // The cluster's own subnets on the way out, whichever path: NSG rules and routes to appliances.
  const s = judges.subnet(pair, will());
  hop(
    "route",
    PATH_POLICIES.subnet,
    s,
    s.unsure?.length
      ? "the node subnet's NSG or route table may stop the pull"
      : "no NSG rule or route on the node subnets stops the pull, as far as the records show",
    [idOf(pair.cluster.res)],
  );

  // admit: the registry's network rules, where the path is public or not shown.
  if (publicChecked) {
    hop(
      "admit",
      PATH_POLICIES.egress,
      pass,
      first?.policy === PATH_POLICIES.dns
        ? "judged with the resolve hop: the public endpoint refuses the cluster"
        : "the registry admits the cluster on the path it takes",
      [registryId],
    );
  } else if (via === "private endpoint") {
    hop("admit", PATH_POLICIES.egress, pass, "the private endpoint admits the cluster's VNet", peIds);
  } else if (first?.step === "route" && first.policy === PATH_POLICIES.peering) {
    // Which address the cluster resolves is not shown, and its way to the private endpoint is
    // broken: a public path that refuses it too is the same missing path, fixed with the route.
    hop(
      "admit",
      PATH_POLICIES.egress,
      pass,
      "judged with the route hop: no private endpoint is reachable from the cluster",
      [registryId],
    );
  } else {
    const e = judges.egress(pair, will());
    hop(
      "admit",
      PATH_POLICIES.egress,
      e,
      e.fails.length
        ? "the registry refuses the cluster's egress"
        : "the registry admits the cluster's egress",
      [registryId],
    );
  }

  // authenticate and authorize: the kubelet's identity and its roles (reported by aks-acr-pull-role).
  // The layers hop's wording follows the network's first failure, whether or not authorize is walked.
  const networkFirst: Hop | undefined = first;
  if (options.authorize !== false) {
    // authenticate: the kubelet's own credential (its identity on the nodes, or its secret), then
    // the token the credential provider asks for, against what the registry accepts.
    for (const c of [kubeletOnScaleSets(topo, pair.cluster), spSecretValid(topo, pair.cluster, new Date())])
      if (c) hop("authenticate", c.policy, c, c.detail, c.evidence);
    const t = tokenAudience(topo, pair, will());
    hop("authenticate", PATH_POLICIES.pullRole, t, t.detail, t.evidence);
    authorizeHop();
  }
  function authorizeHop() {
    const access = evaluatePullAccess(topo, pair, {
      extraPullRoleGuids: new Set((options.pullRoleDefinitionIds ?? []).map((g) => g.toLowerCase())),
    });
    const authorize: Hop["verdict"] =
      access.status === "granted" || access.status === "anonymous"
        ? "pass"
        : access.status === "missing" || access.status === "crossTenant"
          ? "fail"
          : "unknown";
    hops.push({
      step: "authorize",
      policy: PATH_POLICIES.pullRole,
      fails: [],
      unsure: [],
      commands: [],
      evidence: access.status === "granted" ? [idOf(access.via.res)] : [idOf(pair.cluster.res), registryId],
      verdict: authorize,
      ...(authorize === "fail" ? { symptom: KUBELET_401 } : {}),
      detail: authorizeDetail(access),
    });
    if (authorize === "fail") first ??= hops[hops.length - 1];
  }

  // layers: where the blobs come from, through the hub firewall on the public path.
  const layersVerdict = layers?.(
    networkFirst ? `${may} still fail, once ${networkFirst.policy}'s finding is fixed,` : `${may} fail`,
  );
  if (layersVerdict)
    hop(
      "layers",
      PATH_POLICIES.firewall,
      layersVerdict,
      layersVerdict.fails.length
        ? "the hub firewall drops the download of the layers"
        : "the hub firewall lets the layers through, or is not on their path",
      firewallIds,
    );

  const verdict = hops.some((h) => h.verdict === "fail")
    ? "fails"
    : hops.some((h) => h.verdict === "unknown")
      ? "unknown"
      : "pulls";
  return { pair, via, verdict, hops };
}

/** What the authorize hop says, for each verdict of evaluatePullAccess. */
function authorizeDetail(access: PullVerdict): string {
  switch (access.status) {
    case "granted":
      return `the kubelet's identity holds a pull role (${access.via.res.name})`;
    case "anonymous":
      return "the registry allows anonymous pull: no role is needed";
    case "missing":
      return "the kubelet's identity holds no role that pulls from the registry";
    case "pending":
      return `waits on preview: ${access.path}`;
    case "modeUnknown":
      return `holds ${access.role}, which pulls unless the registry is in ABAC mode (not recorded)`;
    case "viaGroup":
      return `${access.role} is granted to a group (${access.via.res.name}) whose members the recording does not show`;
    case "crossTenant":
      return `the registry is in tenant ${access.registryTenant}, where the kubelet's managed identity (tenant ${access.clusterTenant}) cannot get a token`;
    case "unread":
      return `no role shown pulls, and the role assignments that apply at ${access.scope} were not read`;
    case "undetermined":
      return access.reason;
  }
}
