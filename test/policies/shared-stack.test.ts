// The pack reads each AnalyzeStack request once for all its stack policies
// (policies/lib/shared-stack.ts). Here: the resources it reads are the ones @pulumi/policy would hand
// a policy, and the wrapper goes only where it should. That every scenario and generated stack gets
// the same findings either way is checked through the analyzer in properties.test.ts.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { StackValidationPolicy, validateStackResourcesOfType } from "@pulumi/policy";
import { Registry } from "@pulumi/azure-native/containerregistry";
import {
  installedPolicyVersion,
  requestTopology,
  requestTopologyLost,
  shareStackReading,
  stackResourcesFromRequest,
  TESTED_POLICY_VERSION,
} from "../../policies/lib/shared-stack";
import { topologyOf } from "../../policies/lib/stack";
import { managedCluster, registry } from "../fixtures/azure";
import { REPO_ROOT, secret, stackRequest, unknown, urnOf, withProps } from "../harness";
import { UNKNOWN_WIRE_VALUE } from "../../core/stack/values";

// The gRPC server @pulumi/policy serves with, resolved as the wrapper resolves it.
/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require(
  require.resolve("@grpc/grpc-js", {
    paths: [path.dirname(require.resolve("@pulumi/policy/package.json"))],
  }),
) as typeof import("@grpc/grpc-js");
const { AnalyzerService } = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerService: import("@grpc/grpc-js").ServiceDefinition;
};
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties: (s: unknown, proxySecrets: boolean) => Record<string, unknown>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const ANALYZE_STACK = "/pulumirpc.Analyzer/AnalyzeStack";
type Handler = (call: { request: unknown }, callback: (err: unknown, res?: unknown) => void) => void;

describe("reading the stack once per AnalyzeStack", () => {
  describe("stackResourcesFromRequest", () => {
    const acr = withProps(registry("contosoacr"), (p) => {
      p.adminUserEnabled = secret(true);
      p.loginServer = unknown();
    });
    const provider = { type: "pulumi:providers:kubernetes", name: "aks", props: {} };
    const aks = {
      ...managedCluster("aks"),
      provider,
      propertyDependencies: { resourceGroupName: [acr] },
    };

    it("gives core/ what @pulumi/policy hands a policy: names, links, provider, props with secrets unwrapped and unknowns kept", () => {
      const messages = stackRequest([acr, aks]).getResourcesList();
      const all = stackResourcesFromRequest(messages, deserializeProperties);
      // What the engine sends besides: the stack and the default provider the registry is created with.
      assert.deepEqual(all.map((x) => x.type).sort(), [
        acr.type,
        aks.type,
        "pulumi:providers:azure-native",
        "pulumi:providers:kubernetes",
        "pulumi:pulumi:Stack",
      ]);
      const r = all.find((x) => x.urn === urnOf(acr))!;
      const c = all.find((x) => x.urn === urnOf(aks))!;
      assert.equal(r.type, acr.type);
      assert.equal(r.urn, urnOf(acr));
      assert.equal(r.name, "contosoacr");
      assert.equal(r.props.adminUserEnabled, true);
      assert.equal(r.props.loginServer, UNKNOWN_WIRE_VALUE);
      assert.match(r.provider ?? "", /::pulumi:providers:azure-native::default_\d+_\d+_\d+$/);
      assert.deepEqual(c.dependencies, [urnOf(acr)]);
      assert.deepEqual(c.propertyDependencies, { resourceGroupName: [urnOf(acr)] });
      assert.equal(c.provider, urnOf(provider));
      const cMessage = messages.find((m) => m.getUrn() === urnOf(aks))!;
      assert.deepEqual(c.props, deserializeProperties(cMessage.getProperties(), false));
    });

    it("deserializes a resource's props on first read, once, and never for a resource nobody reads", () => {
      const read: string[] = [];
      const counting = (s: unknown, proxySecrets: boolean) => {
        const props = deserializeProperties(s, proxySecrets);
        read.push(String(props.name));
        return props;
      };
      const r = stackResourcesFromRequest(stackRequest([acr, aks]).getResourcesList(), counting).find(
        (x) => x.urn === urnOf(acr),
      )!;
      assert.deepEqual(read, []);
      assert.equal(r.props, r.props);
      assert.deepEqual(read, ["contosoacr"]);
    });
  });

  describe("shareStackReading", () => {
    const plain: StackValidationPolicy = {
      name: "plain",
      description: "reads the stack",
      validateStack: () => {},
    };

    it("steps aside when switched off, or when a stack policy names a resource type", () => {
      const addService = grpc.Server.prototype.addService;
      process.env.AKS_ACR_GUARD_SHARED_STACK = "0";
      try {
        assert.equal(shareStackReading([plain]), false);
      } finally {
        delete process.env.AKS_ACR_GUARD_SHARED_STACK;
      }
      const typed: StackValidationPolicy = {
        name: "typed",
        description: "skipped by @pulumi/policy when no registry is in the request's list",
        validateStack: validateStackResourcesOfType(Registry, () => {}),
      };
      assert.equal(shareStackReading([plain, typed]), false);
      assert.equal(grpc.Server.prototype.addService, addService, "nothing wrapped");
    });

    it("steps aside under any @pulumi/policy but the one it was tested with, which package.json pins", () => {
      const addService = grpc.Server.prototype.addService;
      assert.equal(installedPolicyVersion(), TESTED_POLICY_VERSION);
      for (const pkg of ["package.json", "policies/package.json"]) {
        const deps = (
          JSON.parse(fs.readFileSync(path.join(REPO_ROOT, pkg), "utf8")) as {
            dependencies: Record<string, string>;
          }
        ).dependencies;
        assert.equal(deps["@pulumi/policy"], TESTED_POLICY_VERSION, `${pkg} pins @pulumi/policy exactly`);
      }
      assert.equal(
        shareStackReading([plain], () => "1.22.0"),
        false,
      );
      assert.equal(
        shareStackReading([plain], () => undefined),
        false,
        "not found",
      );
      assert.equal(grpc.Server.prototype.addService, addService, "nothing wrapped");
    });

    it("wraps the analyzer's AnalyzeStack once: @pulumi/policy gets an empty list, the policies the request's topology", async () => {
      const addService = grpc.Server.prototype.addService;
      assert.equal(shareStackReading([plain]), true);
      const server = new grpc.Server();
      const seen: { listed: number; registries?: string[] }[] = [];
      // Work queued here runs from a timer started outside any request: its async context is lost.
      const outside: (() => void)[] = [];
      const timer = setInterval(() => outside.splice(0).forEach((f) => f()), 1);
      let loseContext = false;
      const analyzeStack: Handler = (call, callback) => {
        const req = call.request as { getResourcesList(): unknown[] };
        const policy = () => {
          try {
            seen.push({
              listed: req.getResourcesList().length,
              registries: topologyOf([]).registries.map((n) => String(n.name)),
            });
            callback(null, "done");
          } catch (e) {
            callback(e);
          }
        };
        // Like @pulumi/policy's handler: the policies run after an await.
        if (loseContext) outside.push(policy);
        else void Promise.resolve().then(policy);
      };
      const analyzed: unknown[] = [];
      const analyze: Handler = (call, callback) => {
        analyzed.push(call.request);
        callback(null, "analyzed");
      };
      server.addService(AnalyzerService, {
        analyzeStack,
        analyze,
      } as unknown as import("@grpc/grpc-js").UntypedServiceImplementation);
      assert.equal(grpc.Server.prototype.addService, addService, "the wrapper takes itself out");

      const handlers = (server as unknown as { handlers: Map<string, { func: Handler }> }).handlers;
      const handler = handlers.get(ANALYZE_STACK)!.func;
      const analyzeRequest = {};
      handlers.get("/pulumirpc.Analyzer/Analyze")!.func({ request: analyzeRequest }, () => {});
      assert.deepEqual(analyzed, [analyzeRequest], "Analyze gets its request as it came");

      const serve = (request: unknown) =>
        new Promise((resolve, reject) =>
          handler({ request }, (err, res) => (err ? reject(err as Error) : resolve(res))),
        );
      assert.equal(await serve(stackRequest([registry("contosoacr"), managedCluster("aks")])), "done");
      assert.deepEqual(seen.pop(), { listed: 0, registries: ["contosoacr"] });
      assert.equal(requestTopology(), undefined, "the topology is the request's only");
      assert.equal(requestTopologyLost(), false, "answered");

      // A request that cannot be read here is handed over whole: each policy reads it and reports.
      const unreadable = {
        getResourcesList: () => [
          { getType: () => assert.fail("unreadable"), getPropertydependenciesMap: () => undefined },
        ],
      };
      assert.equal(await serve(unreadable), "done");
      assert.deepEqual(seen.pop(), { listed: 1, registries: [] });

      // A handler that runs its policies outside the request fails loudly instead of finding nothing.
      loseContext = true;
      await assert.rejects(
        serve(stackRequest([registry("contosoacr")])),
        /outside the request, with no resources/,
      );
      clearInterval(timer);

      assert.equal(shareStackReading([plain]), false, "once per process");
      server.forceShutdown();
    });
  });
});
