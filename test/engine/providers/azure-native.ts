/**
 * The emulated azure-native provider: what the real one does, on the fake Azure. Inputs are
 * azure-native's (ARM path parameters such as `resourceGroupName` plus the resource's properties
 * flattened to the top level); outputs are the ARM response flattened, without path parameters,
 * with `azureApiVersion`. During preview, Create and Update return azure-native's preview shape:
 * the inputs, and every output that is not an input unknown (`id`, `name` on create, a cluster's
 * `identityProfile`, `fqdn`, `identity.principalId`, a registry's `loginServer`, ...). ARM's
 * endpoint comes from the provider's `metadataHost` config, as it does for Azure Stack and sovereign
 * clouds; the real provider's `environment` values are refused, since no real cloud is reachable.
 */
import {
  armIdOf,
  armPathKey,
  armShapeOf,
  holdsUnknown,
  pathInputsOf,
  previewOutputsOf,
  TOP_LEVEL,
} from "../../../core/stack/azure-native-shape";
import { request, serve, typeOfUrn, Props, Emulation } from "./server";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const NETWORK = "2024-05-01";
/** The API version azure-native 3.28 calls for each type (its default module's version). */
const API_VERSIONS: Record<string, string> = {
  "containerservice:ManagedCluster": "2024-10-01",
  "containerservice:AgentPool": "2024-10-01",
  "containerregistry:Registry": "2023-07-01",
  "authorization:RoleAssignment": "2022-04-01",
  "authorization:RoleDefinition": "2022-04-01",
  "managedidentity:UserAssignedIdentity": "2023-01-31",
  "resources:ResourceGroup": "2021-04-01",
  "compute:VirtualMachineScaleSet": "2024-07-01",
  "network:VirtualNetwork": NETWORK,
  "network:Subnet": NETWORK,
  "network:VirtualNetworkPeering": NETWORK,
  "network:PrivateEndpoint": NETWORK,
  "network:PrivateDnsZoneGroup": NETWORK,
  "network:PublicIPAddress": NETWORK,
  "network:NatGateway": NETWORK,
  "network:AzureFirewall": NETWORK,
  "network:FirewallPolicy": NETWORK,
  "network:FirewallPolicyRuleCollectionGroup": NETWORK,
  "network:NetworkSecurityGroup": NETWORK,
  "network:RouteTable": NETWORK,
  "privatedns:PrivateZone": "2024-06-01",
  "privatedns:VirtualNetworkLink": "2024-06-01",
  "privatedns:PrivateRecordSet": "2024-06-01",
};

function apiVersionOf(token: string): string {
  const v = API_VERSIONS[armPathKey(token)];
  if (!v || !armShapeOf(token)) throw new Error(`the emulated azure-native provider does not know ${token}`);
  return v;
}

let subscriptionId = "";
let resourceManager = "";
let configured = false;

/** Whether the emulated provider knows a token. */
export const knows = (token: string): boolean => API_VERSIONS[armPathKey(token)] !== undefined;

/** The ARM PUT body: top-level keys kept, every other non-path input under `properties`. */
export function armBody(token: string, inputs: Props): Props {
  const path = new Set(pathInputsOf(token));
  const body: Props = {};
  const properties: Props = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (path.has(k)) continue;
    if (TOP_LEVEL.has(k)) body[k] = v;
    else properties[k] = v;
  }
  return { ...body, properties };
}

/** azure-native's outputs: the ARM record with `properties` flattened, and the API version. */
function outputsOf(token: string, record: Props): Props {
  const { properties, ...rest } = record;
  return { ...rest, ...((properties as Props) ?? {}), azureApiVersion: apiVersionOf(token) };
}

/** azure-native's preview of a create or an update, with the API version it would call. */
const previewOutputs = (token: string, inputs: Props, old?: Props): Props => ({
  ...previewOutputsOf(token, inputs, old),
  azureApiVersion: apiVersionOf(token),
});

async function arm(
  method: string,
  id: string,
  apiVersion: string,
  body?: unknown,
): Promise<{ status: number; body: Props }> {
  if (!configured) throw new Error("the emulated azure-native provider was not configured");
  const sep = id.includes("?") ? "&" : "?";
  const res = await request(
    method,
    `${resourceManager.replace(/\/$/, "")}${id}${sep}api-version=${apiVersion}`,
    body,
    {
      authorization: `Bearer fake-token:${resourceManager}`,
    },
  );
  if (res.status >= 400 && res.status !== 404) {
    const err = (res.body.error ?? {}) as Props;
    throw new Error(`${method} ${id}: ${res.status} ${String(err.code)}: ${String(err.message)}`);
  }
  return res;
}

const emulation: Emulation = {
  name: "azure-native",
  version: "3.28.0",
  async configure(config) {
    const host = config.metadataHost;
    if (typeof host !== "string" || host === "" || host === UNKNOWN) {
      throw new Error(
        "the emulated azure-native provider needs azure-native:metadataHost (there is no real Azure here)",
      );
    }
    const md = await request("GET", `https://${host}/metadata/endpoints?api-version=2022-09-01`);
    resourceManager = String(md.body.resourceManager);
    subscriptionId = String(config.subscriptionId ?? process.env.ARM_SUBSCRIPTION_ID ?? "");
    if (!/^[0-9a-f-]{36}$/i.test(subscriptionId))
      throw new Error(
        `azure-native:subscriptionId ${JSON.stringify(subscriptionId)} is not a subscription id`,
      );
    configured = true;
  },
  async diff(_id, urn, oldInputs, _oldOutputs, news) {
    const token = typeOfUrn(urn);
    const keys = new Set([...Object.keys(oldInputs), ...Object.keys(news)]);
    const changed = [...keys].filter(
      (k) => holdsUnknown(news[k]) || JSON.stringify(oldInputs[k]) !== JSON.stringify(news[k]),
    );
    // Path inputs (and a scoped resource's scope) address the resource: a change is a replacement.
    const replaceOn = new Set([...pathInputsOf(token), "resourceGroupName", "location", "scope"]);
    return { changes: changed.length > 0, replaces: changed.filter((k) => replaceOn.has(k)) };
  },
  async create(urn, inputs, preview) {
    const token = typeOfUrn(urn);
    if (preview) return { id: "", outputs: previewOutputs(token, inputs) };
    const id = armIdOf(token, inputs, subscriptionId);
    const apiVersion = apiVersionOf(token);
    // azure-native refuses to create what exists: the user is told to import it.
    const existing = await arm("GET", id, apiVersion);
    if (existing.status !== 404)
      throw new Error(`resource ${id} already exists; to import it, use the import option`);
    const put = await arm("PUT", id, apiVersion, armBody(token, inputs));
    return { id, outputs: outputsOf(token, put.body) };
  },
  async read(id, urn, _state, inputs) {
    const token = typeOfUrn(urn);
    const got = await arm("GET", id, apiVersionOf(token));
    if (got.status === 404) return undefined;
    return { id, outputs: outputsOf(token, got.body), inputs };
  },
  async update(id, urn, oldOutputs, news, preview) {
    const token = typeOfUrn(urn);
    if (preview) return previewOutputs(token, news, oldOutputs);
    const put = await arm("PUT", id, apiVersionOf(token), armBody(token, news));
    return outputsOf(token, put.body);
  },
  async delete(id, urn) {
    await arm("DELETE", id, apiVersionOf(typeOfUrn(urn)));
  },
  async invoke(token, args) {
    switch (token) {
      case "azure-native:authorization:getClientToken":
        return { token: `fake-token:${typeof args.endpoint === "string" ? args.endpoint : resourceManager}` };
      case "azure-native:authorization:getClientConfig":
        return {
          clientId: "0b5c3f2e-8d1a-4c6b-9e7f-1a2b3c4d5e6f",
          objectId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
          subscriptionId,
          tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        };
      case "azure-native:containerregistry:listRegistryCredentials": {
        const id = `/subscriptions/${subscriptionId}/resourceGroups/${String(args.resourceGroupName)}/providers/Microsoft.ContainerRegistry/registries/${String(args.registryName)}`;
        return (await arm("POST", `${id}/listCredentials`, "2023-07-01")).body;
      }
      case "azure-native:containerservice:listManagedClusterUserCredentials": {
        const id = `/subscriptions/${subscriptionId}/resourceGroups/${String(args.resourceGroupName)}/providers/Microsoft.ContainerService/managedClusters/${String(args.resourceName)}`;
        return (await arm("POST", `${id}/listClusterUserCredential`, "2024-10-01")).body;
      }
    }
    const get = /^azure-native:([\w/]+):get(\w+)$/.exec(token);
    if (get && knows(`azure-native:${get[1]}:${get[2]}`)) {
      const t = `azure-native:${get[1]}:${get[2]}`;
      const got = await arm("GET", armIdOf(t, args, subscriptionId), apiVersionOf(t));
      if (got.status === 404) throw new Error(`${token}: not found`);
      return outputsOf(t, got.body);
    }
    throw new Error(`the emulated azure-native provider does not implement ${token}`);
  },
};

if (require.main === module) void serve(emulation);
