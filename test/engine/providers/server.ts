/**
 * A resource provider plugin as the Pulumi engine starts one: it listens on a port, prints it, and
 * serves pulumirpc.ResourceProvider. The emulated azure-native and kubernetes providers plug their
 * behaviour in here; the wire (Configure's `supportsPreview`, unknowns, Check/Diff/Create/Read/
 * Update/Delete/Invoke) is the real protocol, so the engine treats them as it treats the real ones.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as rpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";
import * as plugin from "@pulumi/pulumi/proto/plugin_pb";

export type Props = Record<string, unknown>;

/** What an emulated provider implements; `preview` is true during `pulumi preview`. */
export interface Emulation {
  name: string;
  version: string;
  configure(config: Props): Promise<void>;
  check?(urn: string, olds: Props, news: Props): Promise<Props>;
  diff(
    id: string,
    urn: string,
    oldInputs: Props,
    oldOutputs: Props,
    news: Props,
  ): Promise<{ changes: boolean; replaces: string[] }>;
  create(urn: string, inputs: Props, preview: boolean): Promise<{ id: string; outputs: Props }>;
  read(
    id: string,
    urn: string,
    state: Props,
    inputs: Props,
  ): Promise<{ id: string; outputs: Props; inputs: Props } | undefined>;
  update(id: string, urn: string, oldOutputs: Props, news: Props, preview: boolean): Promise<Props>;
  delete(id: string, urn: string, outputs: Props): Promise<void>;
  invoke(token: string, args: Props, preview: boolean): Promise<Props>;
}

/** The token of a URN: `urn:pulumi:stack::project::parent$type::name` -> `type`. */
export function typeOfUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  const parts = qualified.split("$");
  return parts[parts.length - 1];
}

type Handler<Req, Res> = (call: { request: Req }, cb: (err: Error | null, res?: Res) => void) => void;

function handle<Req, Res>(fn: (req: Req) => Promise<Res>): Handler<Req, Res> {
  return (call, cb) => {
    fn(call.request).then(
      (res) => cb(null, res),
      (e: Error) => {
        process.stderr.write(`${e.stack ?? e}\n`);
        cb(Object.assign(new Error(e.message), { code: grpc.status.UNKNOWN, details: e.message }));
      },
    );
  };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A value with Pulumi's secret wrappers removed (the engine may still send them in provider config). */
function unsecret(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unsecret);
  if (v === null || typeof v !== "object") return v;
  const o = v as Props;
  if (SECRET_SIG in o) return unsecret(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unsecret(x)]));
}

const js = (s: Struct | undefined): Props => (s ? (unsecret(s.toJavaScript()) as Props) : {});
const struct = (p: Props) => Struct.fromJavaScript(p as never);

export async function serve(emu: Emulation): Promise<void> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  const unimplemented = (_call: unknown, cb: (err: grpc.ServiceError) => void) =>
    cb({
      code: grpc.status.UNIMPLEMENTED,
      details: "not implemented",
      message: "not implemented",
    } as grpc.ServiceError);
  const impl: Record<string, unknown> = {
    handshake: unimplemented,
    parameterize: unimplemented,
    getMapping: unimplemented,
    getMappings: unimplemented,
    call: unimplemented,
    construct: unimplemented,
    list: (call: grpc.ServerWritableStream<unknown, unknown>) =>
      call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "List" }),
    getPluginInfo: handle(async () => new plugin.PluginInfo().setVersion(emu.version)),
    getSchema: handle(async () => new proto.GetSchemaResponse().setSchema("{}")),
    attach: handle(async () => new Empty()),
    cancel: handle(async () => new Empty()),
    checkConfig: handle(async (req: proto.CheckRequest) =>
      new proto.CheckResponse().setInputs(req.getNews()),
    ),
    diffConfig: handle(async () =>
      new proto.DiffResponse().setChanges(proto.DiffResponse.DiffChanges.DIFF_NONE),
    ),
    configure: handle(async (req: proto.ConfigureRequest) => {
      const config: Props = { ...js(req.getArgs()) };
      // Older engines send `pkg:config:key` variables instead of args.
      req.getVariablesMap().forEach((v, k) => {
        config[k.split(":").pop()!] ??= v;
      });
      await emu.configure(config);
      return new proto.ConfigureResponse()
        .setSupportspreview(true)
        .setAcceptsecrets(false)
        .setAcceptresources(false)
        .setAcceptoutputs(false);
    }),
    check: handle(async (req: proto.CheckRequest) => {
      const inputs = emu.check
        ? await emu.check(req.getUrn(), js(req.getOlds()), js(req.getNews()))
        : js(req.getNews());
      return new proto.CheckResponse().setInputs(struct(inputs));
    }),
    diff: handle(async (req: proto.DiffRequest) => {
      const d = await emu.diff(
        req.getId(),
        req.getUrn(),
        js(req.getOldInputs()),
        js(req.getOlds()),
        js(req.getNews()),
      );
      return new proto.DiffResponse()
        .setChanges(
          d.changes ? proto.DiffResponse.DiffChanges.DIFF_SOME : proto.DiffResponse.DiffChanges.DIFF_NONE,
        )
        .setReplacesList(d.replaces);
    }),
    create: handle(async (req: proto.CreateRequest) => {
      const r = await emu.create(req.getUrn(), js(req.getProperties()), req.getPreview());
      return new proto.CreateResponse().setId(r.id).setProperties(struct(r.outputs));
    }),
    read: handle(async (req: proto.ReadRequest) => {
      const r = await emu.read(req.getId(), req.getUrn(), js(req.getProperties()), js(req.getInputs()));
      const resp = new proto.ReadResponse();
      if (!r) return resp; // gone: an empty id tells the engine
      return resp.setId(r.id).setProperties(struct(r.outputs)).setInputs(struct(r.inputs));
    }),
    update: handle(async (req: proto.UpdateRequest) => {
      const outputs = await emu.update(
        req.getId(),
        req.getUrn(),
        js(req.getOlds()),
        js(req.getNews()),
        req.getPreview(),
      );
      return new proto.UpdateResponse().setProperties(struct(outputs));
    }),
    delete: handle(async (req: proto.DeleteRequest) => {
      await emu.delete(req.getId(), req.getUrn(), js(req.getProperties()));
      return new Empty();
    }),
    invoke: handle(async (req: proto.InvokeRequest) => {
      const out = await emu.invoke(req.getTok(), js(req.getArgs()), req.getPreview());
      return new proto.InvokeResponse().setReturn(struct(out));
    }),
  };
  server.addService(rpc.ResourceProviderService, impl as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  // The engine reads the port from the plugin's first line of stdout.
  process.stdout.write(`${port}\n`);
}

/** An HTTPS JSON request; the suite's CA is trusted through NODE_EXTRA_CA_CERTS. */
export async function request(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Props }> {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Props) : {} };
}
