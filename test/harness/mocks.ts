/**
 * Pulumi's mock runtime for component and program tests: one place that installs it and records
 * every resource registered. Install the mocks first, then `await import()` the module under test;
 * a static import would run before the mocks and test nothing.
 */
import { SUBSCRIPTION } from "../fixtures/arm";
import * as pulumi from "@pulumi/pulumi";
import { settled } from "../../offline/outputs";
import type { PolicyResourceInput } from "../../offline/resources";

export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The provider reference it was registered with (`<provider urn>::<id>`), if any. */
  provider?: string;
}

export interface MockRecorder {
  resources: RegisteredResource[];
  ofType(type: string): RegisteredResource[];
}

/** Answers an invoke (a `get*` function) from fixtures. */
export type InvokeHandler = (inputs: Record<string, unknown>) => Record<string, unknown>;

const DEFAULT_INVOKES: Record<string, InvokeHandler> = {
  "azure-native:authorization:getClientConfig": () => ({
    subscriptionId: SUBSCRIPTION, // the fixtures' and scenarios' own
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    clientId: "0b5c3f2e-8d1a-4c6b-9e7f-1a2b3c4d5e6f",
    objectId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
  }),
};

/**
 * Installs the mocks before the enclosing `describe`; clears what was recorded before each test.
 * `invokes` answers invoke tokens (e.g. `azure-native:containerservice:getManagedCluster`).
 */
export function usePulumiMocks(
  invokes: Record<string, InvokeHandler> = {},
  /** A resource's id and outputs where they are not its name and inputs (e.g. a created cluster's identity). */
  created?: (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
  ) => { id: string; state: Record<string, unknown> } | undefined,
): MockRecorder {
  const recorder: MockRecorder = {
    resources: [],
    ofType: (type) => recorder.resources.filter((r) => r.type === type),
  };
  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          recorder.resources.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            ...(args.provider ? { provider: args.provider } : {}),
          });
          return (
            created?.(args.type, args.name, args.inputs) ?? { id: `${args.name}-id`, state: args.inputs }
          );
        },
        call: (args) => {
          const handler = invokes[args.token] ?? DEFAULT_INVOKES[args.token];
          if (!handler) throw new Error(`no fixture answers the invoke ${args.token}`);
          return handler(args.inputs);
        },
      },
      "aks-acr-guard",
      "test",
      false,
    );
  });
  beforeEach(() => {
    recorder.resources.length = 0;
  });
  return recorder;
}

/** An output's value; rejects with the error that computing it threw. */
export async function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (await settled(output)) as T;
}

/**
 * A test that makes a component or the program fail on purpose leaves the resources whose inputs
 * failed waiting to register forever; Pulumi would report them as leaked promises at exit. Call
 * this at the end of such a test so that report speaks only of real leaks.
 */
export function forgetDeliberateFailures(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("@pulumi/pulumi/runtime/debuggable") as { leakedPromises(): unknown }).leakedPromises();
}

/** The package's components, loaded once the mocks are installed (a static import would run before them). */
export type Components = typeof import("../../components");

/**
 * The components under mocks for the enclosing `describe`: the object returned is filled with the
 * package's exports before its tests run, so a test writes `components.AcrPullAccess`.
 */
export function useComponents(): Components {
  const components = {} as Components;
  before(async () => {
    Object.assign(components, await import("../../components"));
  });
  return components;
}

/** A declared resource as the policy pack sees it after `pulumi up`: its inputs, plus what Azure adds. */
export function asDeployed(r: RegisteredResource, added: Record<string, unknown> = {}): PolicyResourceInput {
  return { type: r.type, name: r.name, props: { ...r.inputs, ...added } };
}
