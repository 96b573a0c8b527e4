/**
 * The emulated kubernetes provider: objects are kept by the fake Azure's object store under the
 * API server its kubeconfig names (a cluster's `listClusterUserCredential` kubeconfig points there;
 * the default provider reads `KUBECONFIG`). Outputs are the object as the API server returns it:
 * namespace defaulted, `metadata.uid`, and `status` only once it exists (after `up`); a Secret's
 * `stringData` comes back as base64 `data`. A provider whose kubeconfig is unknown during preview is
 * never configured, and the engine then records empty outputs for its resources, as it does for the
 * real provider.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { request, serve, typeOfUrn, Props, Emulation } from "./server";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
let server = "";
let defaultNamespace = "default";

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "Node",
  "PersistentVolume",
  "CustomResourceDefinition",
  "StorageClass",
]);
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"]);

function serverOf(kubeconfig: string): string {
  const text =
    kubeconfig.trim().startsWith("apiVersion") || kubeconfig.includes("\n")
      ? kubeconfig
      : fs.readFileSync(kubeconfig, "utf8");
  const m = /server:\s*(\S+)/.exec(text);
  if (!m) throw new Error("the kubeconfig names no cluster server");
  return m[1];
}

const nameOfUrn = (urn: string) => urn.split("::").pop() ?? "object";

function normalized(urn: string, inputs: Props): Props {
  const kind = String(inputs.kind ?? typeOfUrn(urn).split(":").pop());
  const metadata = { ...((inputs.metadata as Props) ?? {}) };
  metadata.name ??= `${nameOfUrn(urn)}-${crypto.createHash("sha256").update(urn).digest("hex").slice(0, 8)}`;
  if (!CLUSTER_SCOPED.has(kind)) metadata.namespace ??= defaultNamespace;
  const out: Props = { ...inputs, metadata };
  if (kind === "Secret" && out.stringData && typeof out.stringData === "object") {
    const data = { ...((out.data as Props) ?? {}) };
    for (const [k, v] of Object.entries(out.stringData as Props))
      data[k] = Buffer.from(String(v)).toString("base64");
    out.data = data;
    delete out.stringData;
  }
  return out;
}

const keyOf = (o: Props) => {
  const m = o.metadata as Props;
  return `${String(o.apiVersion)}/${String(o.kind)}/${String(m.namespace ?? "_")}/${String(m.name)}`;
};

function live(o: Props, existing?: Props): Props {
  const metadata = { ...(o.metadata as Props) };
  metadata.uid = (existing?.metadata as Props | undefined)?.uid ?? crypto.randomUUID();
  metadata.creationTimestamp =
    (existing?.metadata as Props | undefined)?.creationTimestamp ?? new Date().toISOString();
  const out: Props = { ...o, metadata };
  if (WORKLOADS.has(String(o.kind))) {
    const replicas = Number(((o.spec as Props | undefined)?.replicas as number | undefined) ?? 1);
    out.status = { replicas, observedGeneration: 1 };
  }
  return out;
}

async function api(method: string, key: string, body?: unknown) {
  if (!server)
    throw new Error("the emulated kubernetes provider has no cluster: no kubeconfig was configured");
  return request(method, `${server.replace(/\/$/, "")}/${key}`, body);
}

const emulation: Emulation = {
  name: "kubernetes",
  version: "4.34.2",
  async configure(config) {
    const kubeconfig = config.kubeconfig ?? process.env.KUBECONFIG;
    if (typeof kubeconfig !== "string" || kubeconfig === UNKNOWN) throw new Error("no kubeconfig");
    server = serverOf(kubeconfig);
    if (typeof config.namespace === "string" && config.namespace) defaultNamespace = config.namespace;
  },
  async check(_urn, olds, news) {
    const meta = (news.metadata as Props | undefined) ?? {};
    const oldName = (olds.metadata as Props | undefined)?.name;
    return oldName && !meta.name ? { ...news, metadata: { ...meta, name: oldName } } : news;
  },
  async diff(_id, _urn, oldInputs, _oldOutputs, news) {
    const changes = JSON.stringify(oldInputs) !== JSON.stringify(news);
    const replaces = ["apiVersion", "kind"].filter(
      (k) => JSON.stringify(oldInputs[k]) !== JSON.stringify(news[k]),
    );
    const oldMeta = (oldInputs.metadata ?? {}) as Props;
    const newMeta = (news.metadata ?? {}) as Props;
    if (oldMeta.name !== newMeta.name || oldMeta.namespace !== newMeta.namespace) replaces.push("metadata");
    return { changes, replaces };
  },
  async create(urn, inputs, preview) {
    const o = normalized(urn, inputs);
    if (preview) return { id: "", outputs: o };
    const key = keyOf(o);
    const existing = await api("GET", key);
    if (existing.status === 200) throw new Error(`${key} already exists`);
    const stored = live(o);
    await api("PUT", key, stored);
    const m = stored.metadata as Props;
    return { id: m.namespace ? `${String(m.namespace)}/${String(m.name)}` : String(m.name), outputs: stored };
  },
  async read(id, _urn, state, inputs) {
    const got = await api("GET", keyOf(state));
    if (got.status === 404) return undefined;
    return { id, outputs: got.body, inputs };
  },
  async update(_id, urn, oldOutputs, news, preview) {
    const o = normalized(urn, news);
    if (preview) return o;
    const stored = live(o, oldOutputs);
    await api("PUT", keyOf(o), stored);
    return stored;
  },
  async delete(_id, _urn, outputs) {
    await api("DELETE", keyOf(outputs));
  },
  async invoke(token) {
    throw new Error(`the emulated kubernetes provider does not implement ${token}`);
  },
};

if (require.main === module) void serve(emulation);
