/**
 * An AzureReader over a recorded environment: what AksAcrObserver would read from Azure, answered
 * from the recording's ARM records, so the offline preview runs the real program.
 */
import {
  inSubscriptionCollection,
  isScopeAncestorOrSelf,
  parseArmId,
  subscriptionCollection,
} from "../core/stack/arm-id";
import { ArmRecord, AzureReader } from "../components/azure/reader";
import { repositoryReference } from "../components/azure/records";
import { subscriptionTenants } from "../core/stack/arm-types";

const lower = (s: string) => s.toLowerCase().replace(/\/+$/, "");

export function worldReader(resources: readonly ArmRecord[]): AzureReader {
  const byId = new Map(resources.map((r) => [lower(r.id), r]));
  const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type);
  return {
    async get(id) {
      const record = byId.get(lower(id));
      if (record) return record;
      // A subscription: its tenant, as the recording's rows (Resource Graph's) carry it.
      const sub = /^\/subscriptions\/([^/]+)$/.exec(lower(id))?.[1];
      const tenantId = sub ? subscriptionTenants(resources).get(sub) : undefined;
      return sub && tenantId
        ? {
            id: `/subscriptions/${sub}`,
            name: sub,
            type: "Microsoft.Resources/subscriptions",
            subscriptionId: sub,
            tenantId,
          }
        : undefined;
    },
    async list(collection) {
      // A subscription-wide list: every resource of the type there.
      const bySubscription = subscriptionCollection(collection);
      if (bySubscription) return resources.filter((r) => inSubscriptionCollection(r, bySubscription));
      const prefix = lower(collection) + "/";
      return resources.filter((r) => {
        const id = lower(r.id);
        return id.startsWith(prefix) && !id.slice(prefix.length).includes("/");
      });
    },
    async roleAssignmentsAt(scope) {
      const target = parseArmId(scope);
      return ofType("microsoft.authorization/roleassignments").filter((a) => {
        const at = parseArmId(
          a.properties?.scope ?? a.id.replace(/\/providers\/Microsoft\.Authorization\/.*$/i, ""),
        );
        return !!target && !!at && isScopeAncestorOrSelf(at, target);
      });
    },
    async servicePrincipal(appId) {
      return ofType("microsoft.graph/serviceprincipals").find(
        (r) => String(r.properties?.appId ?? "").toLowerCase() === appId.toLowerCase(),
      );
    },
    async registryCredentials(registryId) {
      return byId.get(`${lower(registryId)}/credentials/admin`);
    },
    async imagePlatforms(registryId, loginServer, repository, reference) {
      const image = `${loginServer}/${repositoryReference(repository, reference)}`.toLowerCase();
      return ofType("microsoft.containerregistry/registries/imageplatforms").find(
        (r) =>
          lower(r.id).startsWith(`${lower(registryId)}/`) &&
          String(r.properties?.image ?? "").toLowerCase() === image,
      );
    },
  };
}
