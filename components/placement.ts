/**
 * Where a component's children go: each into the subscription of the resource it attaches to (the
 * zone, the VNet, the firewall policy), taken from that resource's ARM id. A child in another
 * subscription than the one the inherited azure-native provider targets (a landing zone's
 * connectivity subscription) gets an azure-native provider of its own for that subscription, with
 * the stack's other azure-native settings (credentials, cloud), one per component and subscription.
 */
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/azure-native/provider";
import { parseArmId } from "../core/stack/arm-id";

/** azure-native's settings a provider of another subscription keeps (all but subscriptionId). */
const STRING_SETTINGS = [
  "clientCertificatePath",
  "clientId",
  "environment",
  "location",
  "metadataHost",
  "msiEndpoint",
  "oidcRequestUrl",
  "oidcTokenFilePath",
  "partnerId",
  "tenantId",
] as const;
const SECRET_SETTINGS = [
  "clientCertificatePassword",
  "clientSecret",
  "oidcRequestToken",
  "oidcToken",
] as const;
const BOOLEAN_SETTINGS = [
  "disableInstanceDiscovery",
  "disablePulumiPartnerId",
  "useDefaultAzureCredential",
  "useMsi",
  "useOidc",
] as const;

/**
 * The subscription the azure-native provider a component inherits targets, where the stack says:
 * `azure-native:subscriptionId`, else ARM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID. Undefined
 * when only the Azure CLI's default subscription decides.
 */
function configuredSubscription(): string | undefined {
  const v =
    new pulumi.Config("azure-native").get("subscriptionId") ??
    process.env.ARM_SUBSCRIPTION_ID ??
    process.env.AZURE_SUBSCRIPTION_ID;
  return v ? v : undefined;
}

/** The stack's azure-native settings for a provider of `subscriptionId`. */
function providerArgs(subscriptionId: string): Record<string, pulumi.Input<unknown>> {
  const config = new pulumi.Config("azure-native");
  const args: Record<string, pulumi.Input<unknown>> = { subscriptionId };
  for (const k of STRING_SETTINGS) {
    const v = config.get(k);
    if (v !== undefined) args[k] = v;
  }
  for (const k of SECRET_SETTINGS) {
    const v = config.get(k);
    if (v !== undefined) args[k] = pulumi.secret(v);
  }
  for (const k of BOOLEAN_SETTINGS) {
    const v = config.getBoolean(k);
    if (v !== undefined) args[k] = v;
  }
  const tenants = config.getObject<string[]>("auxiliaryTenantIds");
  if (tenants !== undefined) args.auxiliaryTenantIds = tenants;
  return args;
}

const providers = new WeakMap<pulumi.ComponentResource, Map<string, Provider>>();

/**
 * Options for a child of `component` attached to the resource `id`: its parent, and, when `id` is a
 * plain ARM id in another subscription than `home`, a provider for that subscription. An id still
 * being computed (a resource the stack creates) is in the inherited provider's subscription.
 *
 * @param given the subscription the inherited azure-native provider targets, where the caller knows
 *   it; else configuredSubscription(); where neither says, children stay on the inherited provider.
 */
export function placedIn(
  component: pulumi.ComponentResource,
  name: string,
  given: string | undefined,
  id: pulumi.Input<string> | undefined,
): pulumi.CustomResourceOptions {
  const home = given ?? configuredSubscription();
  const sub = typeof id === "string" ? parseArmId(id)?.subscriptionId?.toLowerCase() : undefined;
  if (!home || !sub || sub === home.toLowerCase()) return { parent: component };
  const mine = providers.get(component) ?? new Map<string, Provider>();
  providers.set(component, mine);
  let provider = mine.get(sub);
  if (!provider) {
    provider = new Provider(`${name}-subscription-${sub}`, providerArgs(sub), { parent: component });
    mine.set(sub, provider);
  }
  return { parent: component, provider };
}
