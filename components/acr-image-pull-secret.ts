import * as pulumi from "@pulumi/pulumi";
import { listRegistryCredentialsOutput } from "@pulumi/azure-native/containerregistry";
import { Secret, ServiceAccountPatch } from "@pulumi/kubernetes/core/v1";
import { requireArmId, resourceName } from "../core/stack/arm-id";
import { placedIn } from "./placement";

/**
 * What a pull secret pulls with instead of the registry's admin user: a service principal's
 * application id and secret, or a repository-scoped token's name and password. One shape for every
 * component that builds a pull secret (AcrImagePullSecret, AksAcrIntegration).
 */
export type PullCredentials =
  | { servicePrincipalClientId: pulumi.Input<string>; servicePrincipalSecret: pulumi.Input<string> }
  | { tokenName: pulumi.Input<string>; tokenPassword: pulumi.Input<string> };

export interface AcrImagePullSecretArgs {
  /** ARM id of the registry the secret pulls from. */
  registryId: pulumi.Input<string>;
  /** The namespace the secret (and the ServiceAccount it is attached to) lives in. */
  namespace: pulumi.Input<string>;
  /** @default "acr-<registry name>" */
  secretName?: pulumi.Input<string>;
  /** @default "<registry name>.azurecr.io" (set it for sovereign clouds) */
  loginServer?: pulumi.Input<string>;
  /**
   * Pull with these credentials rather than the registry's admin user: a service principal that
   * holds AcrPull on the registry, or a repository-scoped token (`az acr token create`; its name is
   * the username) whose scope map has `content/read` on the repositories the pods pull. Pass the
   * secret or password as a Pulumi secret.
   * @default - the registry's admin credentials, read on every run
   */
  credentials?: PullCredentials;
  /**
   * Add the secret to the namespace's `default` ServiceAccount's `imagePullSecrets`, so pods that
   * name no secret use it. A plain boolean: it decides whether a resource is declared.
   * @default false: pods name the secret in `imagePullSecrets` themselves
   */
  attachToDefaultServiceAccount?: boolean;
  /**
   * The subscription the azure-native provider this component inherits targets: the admin
   * credentials of a registry in another subscription are read through a provider of its own.
   * @default - azure-native:subscriptionId, ARM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID; unset: the inherited provider
   */
  providerSubscriptionId?: string;
}

/**
 * An image pull secret built from live credentials on every run, the fix for
 * `k8s-acr-pull-secret-valid` (401 Unauthorized, solutions 5 and 6): a `kubernetes.io/dockerconfigjson`
 * Secret whose content is a Pulumi secret, from the registry's current admin credentials
 * (`listRegistryCredentials`), a service principal's or a repository-scoped token's; optionally attached to the namespace's
 * default ServiceAccount. Give it the cluster's Kubernetes provider in `opts.providers`/`opts.provider`.
 */
export class AcrImagePullSecret extends pulumi.ComponentResource {
  public readonly secret: Secret;
  public readonly secretName: pulumi.Output<string>;
  public readonly serviceAccountPatch?: ServiceAccountPatch;

  constructor(name: string, args: AcrImagePullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aks-acr-guard:index:AcrImagePullSecret", name, {}, opts);
    const registry = pulumi.output(args.registryId).apply(planPullSecretRegistry);
    const server = pulumi.output(args.loginServer ?? registry.loginServer);
    this.secretName = pulumi.output(args.secretName ?? registry.secretName);
    const given = pairOf(args.credentials);
    const credentials = given
      ? pulumi.all([given.username, given.password]).apply(([username, password]) => ({ username, password }))
      : listRegistryCredentialsOutput(
          { resourceGroupName: registry.resourceGroupName, registryName: registry.registryName },
          placedIn(this, name, args.providerSubscriptionId, args.registryId),
        ).apply((c) => {
          const password = c.passwords?.find((p) => p.value)?.value;
          if (!c.username || !password) {
            throw new Error(
              "AcrImagePullSecret: the registry returned no admin credentials; enable its admin user (az acr update --admin-enabled true), or give a service principal or a token",
            );
          }
          return { username: c.username, password };
        });
    const dockerConfig = pulumi.secret(
      pulumi.all([server, credentials]).apply(([s, c]) => dockerConfigJson(s, c.username, c.password)),
    );
    this.secret = new Secret(
      `${name}-secret`,
      {
        metadata: { name: this.secretName, namespace: args.namespace },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": dockerConfig },
      },
      { parent: this, additionalSecretOutputs: ["data", "stringData"] },
    );
    if (args.attachToDefaultServiceAccount) {
      this.serviceAccountPatch = new ServiceAccountPatch(
        `${name}-default-sa`,
        {
          metadata: { name: "default", namespace: args.namespace },
          imagePullSecrets: [{ name: this.secretName }],
        },
        { parent: this, dependsOn: [this.secret] },
      );
    }
    this.registerOutputs({ secretName: this.secretName, serviceAccountPatch: this.serviceAccountPatch });
  }
}

/** The credentials given instead of the admin user's: a service principal's or a token's, whole, never both. */
function pairOf(
  credentials: PullCredentials | undefined,
): { username: pulumi.Input<string>; password: pulumi.Input<string> } | undefined {
  if (credentials === undefined) return undefined;
  // The union's halves, checked at run time too: a JavaScript caller or a config can mix them.
  const c = credentials as Partial<Record<string, pulumi.Input<string>>>;
  const pairs = [
    ["servicePrincipalClientId", "servicePrincipalSecret"],
    ["tokenName", "tokenPassword"],
  ] as const;
  const given = pairs.filter(([u, p]) => c[u] !== undefined || c[p] !== undefined);
  for (const [u, p] of given) {
    if (c[u] === undefined || c[p] === undefined)
      throw new Error(`AcrImagePullSecret: credentials' ${u} and ${p} go together; give both`);
  }
  if (given.length !== 1) {
    throw new Error(
      "AcrImagePullSecret: credentials are a service principal (servicePrincipalClientId, servicePrincipalSecret) or a " +
        "token (tokenName, tokenPassword), one of them; leave credentials out to use the admin user",
    );
  }
  const [u, p] = given[0];
  return { username: c[u]!, password: c[p]! };
}

/** Where the registry's credentials come from and what the secret is called. */
export function planPullSecretRegistry(registryId: string) {
  const id = requireArmId(
    "AcrImagePullSecret",
    "registryId",
    registryId,
    "Microsoft.ContainerRegistry/registries",
    "container registry",
  );
  const registryName = resourceName(id)!;
  return {
    resourceGroupName: id.resourceGroup!,
    registryName,
    loginServer: `${registryName.toLowerCase()}.azurecr.io`,
    secretName: `acr-${registryName.toLowerCase()}`,
  };
}

/** The `.dockerconfigjson` the kubelet reads: one entry for the login server. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}
