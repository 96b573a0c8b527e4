import * as pulumi from "@pulumi/pulumi";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization";
import {
  listManagedClusterUserCredentialsOutput,
  ManagedCluster,
} from "@pulumi/azure-native/containerservice";
import { Provider as KubernetesProvider } from "@pulumi/kubernetes/provider";
import { requireArmId, resourceName } from "../core/stack/arm-id";
import {
  commandLine,
  declaredClusterPullRole,
  IntegrationPlan,
  planIntegration,
  PolicyCommand,
} from "../core/plan/integration";
import { childKey } from "../core/plan/names";
import { AcrImagePullSecret, PullCredentials } from "./acr-image-pull-secret";
import { AcrPullAccess } from "./acr-pull-access";
import { AksAcrObserver } from "./aks-acr-observer";
import { AzureReader, lazyReader } from "./azure/reader";
import { providerReader } from "./azure/rest";
import { HubFirewallRegistryRule } from "./hub-firewall-registry-rule";
import { PrivateRegistryDns } from "./private-registry-dns";
import { RegistryEgressAccess } from "./registry-egress-access";
import { VnetPeeringPair } from "./vnet-peering-pair";
import { placedIn } from "./placement";

export interface AksAcrIntegrationArgs {
  /** ARM id of a cluster the stack does not declare. Give this or `cluster`. */
  clusterId?: pulumi.Input<string>;
  /**
   * A cluster the stack declares. Its pull role (AcrPull for its kubelet identity, new with the
   * cluster) is declared at once, so `pulumi preview` shows it before the cluster exists; the
   * rest of the wiring is decided from what the observer reads once it does. Give this or `clusterId`.
   */
  cluster?: ManagedCluster;
  /** ARM id of the registry it pulls from. */
  registryId: pulumi.Input<string>;
  /**
   * The pulling identity's object id, for a service-principal cluster (its record shows only the client id).
   * @default - the kubelet identity's object id from the cluster's record
   */
  principalObjectId?: pulumi.Input<string>;
  /**
   * ARM id of the hub firewall policy the cluster's egress goes through (outboundType userDefinedRouting).
   * @default - no hub-firewall rule is declared
   */
  firewallPolicyId?: pulumi.Input<string>;
  /**
   * ARM id of the privatelink.azurecr.io zone, where no private endpoint's DNS zone group names it.
   * @default - the zones the registry's private endpoints' DNS zone groups name
   */
  privateDnsZoneId?: pulumi.Input<string>;
  /**
   * Egress IPs the cluster's records do not show (an appliance's), admitted with its own.
   * @default - the load balancer's or NAT gateway's outbound IPs the observer reads
   */
  egressIps?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Images of the registry whose platforms (CPU architectures) the observer reads from their
   * manifests, for k8s-image-architecture.
   * @default - no image is read
   */
  images?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Declare an image pull secret (admin credentials, or `pullSecretCredentials`) in this namespace, attached to its default
   * ServiceAccount, on clusterId's cluster: through the Kubernetes provider in `opts`, else one built
   * from the cluster's user credentials (kept secret). A plain string: it decides a declaration.
   * @default - no pull secret: the kubelet pulls with its identity
   */
  pullSecretNamespace?: string;
  /**
   * What the pull secret pulls with instead of the registry's admin user: a service principal that
   * holds AcrPull (`servicePrincipalClientId`, `servicePrincipalSecret`), or a repository-scoped
   * token (`tokenName`, `tokenPassword`). Pass the secret or password as a Pulumi secret.
   * @default - the registry's admin credentials, read on every run
   */
  pullSecretCredentials?: PullCredentials;
  /**
   * How the observer reads Azure: the offline preview passes a reader over a recorded environment.
   * @default - ARM and Microsoft Graph over HTTPS with the azure-native provider's credentials
   */
  reader?: AzureReader;
}

export interface IntegrationSummary {
  /** The components declared, as `<Class> <name>`. */
  declared: string[];
  /** What only a command fixes, each with the policy whose finding it fixes. */
  commands: PolicyCommand[];
  notes: string[];
}

/**
 * Wires a cluster to a registry: observes both (AksAcrObserver), decides what is missing with the
 * policies' own judgements (`core/plan/integration.ts`), and declares only that, composing AcrPullAccess,
 * PrivateRegistryDns, VnetPeeringPair, RegistryEgressAccess and HubFirewallRegistryRule. What no
 * declaration can fix (the kubelet identity missing from a scale set, an expired service-principal
 * secret, a Disconnected peering) is logged and returned as commands.
 *
 * Given `cluster`, a cluster the stack declares, the pull role is declared in the constructor from
 * the cluster's outputs, so a preview shows it while the cluster does not exist yet; what depends
 * on the cluster's records (DNS links, peerings, egress, the hub firewall) is decided once it does.
 */
export class AksAcrIntegration extends pulumi.ComponentResource {
  public readonly observer: AksAcrObserver;
  /** The pull role of a cluster the stack declares (`cluster`), declared at construction. */
  public readonly pullAccess?: AcrPullAccess;
  public readonly summary: pulumi.Output<IntegrationSummary>;

  constructor(name: string, args: AksAcrIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:AksAcrIntegration", name, {}, opts);
    if (args.pullSecretCredentials && !args.pullSecretNamespace) {
      throw new Error(
        "AksAcrIntegration: pullSecretCredentials are for a pull secret: give pullSecretNamespace, the namespace to declare it in",
      );
    }
    if (!args.cluster === (args.clusterId === undefined)) {
      throw new Error(
        "AksAcrIntegration: give clusterId (the ARM id of a cluster the stack does not declare) or cluster (one it declares), not both",
      );
    }
    const clusterId = args.cluster ? args.cluster.id : args.clusterId!;
    // One reader for the observer and the pull-role check: the provider's cloud is looked up once.
    const reader = args.reader ?? lazyReader(providerReader);
    this.observer = new AksAcrObserver(
      `${name}-observer`,
      {
        clusterId,
        registryId: args.registryId,
        firewallPolicyId: args.firewallPolicyId,
        privateDnsZoneId: args.privateDnsZoneId,
        images: args.images,
        reader,
      },
      { parent: this },
    );
    // A pull secret goes to clusterId's cluster: through the Kubernetes provider given in opts, else
    // one built from the cluster's user credentials (kept secret), never whatever the local kube
    // context points at.
    const kubernetes = args.pullSecretNamespace
      ? (givenKubernetesProvider(opts) ?? clusterProvider(`${name}-cluster`, clusterId, this))
      : undefined;
    // A cluster the stack declares: its pull role now, with the cluster's outputs, known or not.
    const pull = args.cluster ? this.declaredPullRole(name, args.cluster, args, reader) : undefined;
    const pullRole = (this.pullAccess = pull?.access);
    const target = pulumi.all([
      clusterId,
      args.registryId,
      args.principalObjectId,
      args.firewallPolicyId,
      args.egressIps ?? [],
    ]);
    // The subscription the azure-native provider the children inherit targets (the default one, or
    // the one in opts): a fix in another subscription (a hub's) gets a provider of its own.
    const home = getClientConfigOutput({ parent: this }).subscriptionId;
    // The declared pull role's principal joins the summary, so a cluster without one fails it by name.
    const pullPrincipal = pull?.principalId ?? "";
    this.summary = pulumi
      .all([this.observer.observed, target, home, pullPrincipal])
      .apply(([records, [clusterId, registryId, principalObjectId, firewallPolicyId, egressIps], sub]) => {
        const plan = planIntegration(
          records,
          {
            clusterId,
            registryId,
            principalObjectId,
            firewallPolicyId,
            egressIps,
            pullRoleDeclared: !!pullRole,
          },
          name,
        );
        return this.declare(name, registryId, plan, sub, args, kubernetes, pullRole);
      });
    this.registerOutputs({ summary: this.summary });
  }

  /**
   * The pull role of a cluster the stack declares, declared at construction: for its kubelet
   * identity (or principalObjectId), AcrPull or, on an ABAC registry, Repository Reader.
   */
  private declaredPullRole(
    name: string,
    cluster: ManagedCluster,
    args: AksAcrIntegrationArgs,
    reader: AzureReader,
  ): { access: AcrPullAccess; principalId: pulumi.Output<string> } {
    const principalId =
      args.principalObjectId ??
      pulumi.all([cluster.identityProfile, cluster.name]).apply(([profile, clusterName]) => {
        const objectId = profile?.["kubeletidentity"]?.objectId;
        if (!objectId) {
          throw new Error(
            `AksAcrIntegration: cluster ${clusterName} has no kubelet identity (a service-principal cluster): set principalObjectId to its service principal's object id`,
          );
        }
        return objectId;
      });
    const abac = pulumi
      .output(args.registryId)
      .apply(async (registryId) => declaredClusterPullRole(await reader.get(registryId), registryId).abac);
    const access = new AcrPullAccess(
      `${name}-pull`,
      { registryId: args.registryId, principalId, abacRepositoryPermissions: abac },
      { parent: this },
    );
    return { access, principalId: pulumi.output(principalId) };
  }

  private declare(
    name: string,
    registryId: string,
    plan: IntegrationPlan,
    providerSubscriptionId: string,
    { pullSecretNamespace, pullSecretCredentials }: AksAcrIntegrationArgs,
    kubernetes: pulumi.ProviderResource | undefined,
    pullRole: AcrPullAccess | undefined,
  ): pulumi.Output<IntegrationSummary> {
    const parent = { parent: this };
    const declared: string[] = [];
    const registered: pulumi.Output<string>[] = [];
    // The summary lists each component once the Azure and Kubernetes resources it declares are registered.
    const note = (kind: string, componentName: string, resources: (pulumi.CustomResource | undefined)[]) => {
      declared.push(`${kind} ${componentName}`);
      for (const r of resources) if (r) registered.push(r.urn);
    };
    if (pullRole) note("AcrPullAccess", `${name}-pull`, [pullRole.roleAssignment]);
    const commands = plan.commands;
    if (plan.pullRole) {
      const pull = new AcrPullAccess(
        `${name}-pull`,
        { registryId, principalId: plan.pullRole.principalId, abacRepositoryPermissions: plan.pullRole.abac },
        parent,
      );
      note("AcrPullAccess", `${name}-pull`, [pull.roleAssignment]);
    }
    if (plan.dns) {
      const dns = new PrivateRegistryDns(`${name}-dns`, { ...plan.dns, providerSubscriptionId }, parent);
      note("PrivateRegistryDns", `${name}-dns`, [dns.zone, ...dns.links, ...dns.records, dns.zoneGroup]);
    }
    plan.peerings.forEach((p) => {
      // Named after the two VNets it joins, not its place in the plan.
      const pairName = `${name}-peering-${childKey(p.vnetAId, 0)}-${childKey(p.vnetBId, 1)}`;
      const pair = new VnetPeeringPair(pairName, { ...p, providerSubscriptionId }, parent);
      note("VnetPeeringPair", pairName, [pair.aToB, pair.bToA]);
    });
    if (plan.firewall) {
      const rule = new HubFirewallRegistryRule(name, { ...plan.firewall, providerSubscriptionId }, parent);
      note("HubFirewallRegistryRule", name, [rule.ruleCollectionGroup]);
    }
    if (pullSecretNamespace) {
      const secret = new AcrImagePullSecret(
        `${name}-pull-secret`,
        {
          registryId,
          namespace: pullSecretNamespace,
          attachToDefaultServiceAccount: true,
          providerSubscriptionId,
          ...(pullSecretCredentials ? { credentials: pullSecretCredentials } : {}),
        },
        { parent: this, providers: kubernetes ? [kubernetes] : [] },
      );
      note("AcrImagePullSecret", `${name}-pull-secret`, [secret.secret, secret.serviceAccountPatch]);
    }
    let egressCommands: pulumi.Output<PolicyCommand[]> = pulumi.output([]);
    if (plan.egress) {
      const egress = new RegistryEgressAccess(
        `${name}-egress`,
        { registryId, egressIps: plan.egress.ips, currentIpRules: plan.egress.currentRules },
        parent,
      );
      note("RegistryEgressAccess", `${name}-egress`, []);
      egressCommands = egress.commands.apply((cs) =>
        cs.map((command) => ({ policy: "acr-firewall-aks-egress", command })),
      );
    }
    for (const c of commands) void pulumi.log.warn(`not declarable, run: ${commandLine(c)}`, this);
    for (const n of plan.notes) void pulumi.log.warn(n, this);
    return pulumi.all([egressCommands, pulumi.all(registered)]).apply(([more]) => ({
      declared,
      commands: [...commands, ...more],
      notes: plan.notes,
    }));
  }
}

/** A Kubernetes provider the caller passed in `opts` (`provider`, or `providers` by package). */
function givenKubernetesProvider(
  opts?: pulumi.ComponentResourceOptions,
): pulumi.ProviderResource | undefined {
  const all = [
    ...(opts?.provider ? [opts.provider] : []),
    ...(Array.isArray(opts?.providers) ? opts.providers : Object.values(opts?.providers ?? {})),
  ];
  return all.find((p) => KubernetesProvider.isInstance(p));
}

/** A Kubernetes provider for clusterId's cluster, from its user credentials (`az aks get-credentials`). */
function clusterProvider(
  name: string,
  clusterId: pulumi.Input<string>,
  parent: pulumi.ComponentResource,
): KubernetesProvider {
  const id = pulumi
    .output(clusterId)
    .apply((raw) =>
      requireArmId(
        "AksAcrIntegration",
        "clusterId",
        raw,
        "Microsoft.ContainerService/managedClusters",
        "managed cluster",
      ),
    );
  const credentials = listManagedClusterUserCredentialsOutput(
    { resourceGroupName: id.apply((i) => i.resourceGroup!), resourceName: id.apply((i) => resourceName(i)!) },
    // A cluster in another subscription than the configured one is read through a provider of its own.
    placedIn(parent, name, undefined, clusterId),
  );
  const kubeconfig = pulumi.secret(
    pulumi.all([credentials.kubeconfigs, id]).apply(([kubeconfigs, i]) => {
      const value = kubeconfigs?.[0]?.value;
      if (!value) throw new Error(`AksAcrIntegration: cluster ${i.raw} returned no user kubeconfig`);
      return Buffer.from(value, "base64").toString("utf8");
    }),
  );
  return new KubernetesProvider(name, { kubeconfig }, { parent });
}
