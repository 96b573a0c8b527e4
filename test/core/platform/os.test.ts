// Node operating systems (core/platform/os.ts): the OS a pod spec pins, the node labels a spec pins,
// the OSes of a cluster's pools, and images known to be Windows-only.
import * as assert from "node:assert/strict";
import { clusterOses, isWindowsImage, nodeLabelPin, osPin } from "../../../core/platform/os";
import { UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";
import { scenarioPull } from "../path/scenario";

const term = (key: string, operator: string, values: string[]) => ({
  matchExpressions: [{ key, operator, values }],
});
const affinity = (...terms: unknown[]) => ({
  affinity: {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  },
});
const OS = "kubernetes.io/os";

describe("osPin: the OS a pod spec pins", () => {
  const cases: [string, Record<string, unknown>, ReturnType<typeof osPin>][] = [
    ["none: free to land on any pool", {}, undefined],
    [
      "nodeSelector, any casing",
      { nodeSelector: { [OS]: "Linux" } },
      { os: "linux", via: `nodeSelector["${OS}"]` },
    ],
    ["os.name", { os: { name: "windows" } }, { os: "windows", via: "os.name" }],
    [
      "a required affinity term",
      affinity(term(OS, "In", ["linux"])),
      { os: "linux", via: `a required node-affinity term on ${OS}` },
    ],
    ["affinity to two OSes pins none", affinity(term(OS, "In", ["linux", "windows"])), undefined],
    [
      "one term of two that leaves the OS free pins none",
      affinity(term(OS, "In", ["linux"]), term("zone", "In", ["1"])),
      undefined,
    ],
    ["NotIn pins none", affinity(term(OS, "NotIn", ["windows"])), undefined],
    [
      "a nodeSelector not known yet (a preview): not known",
      { nodeSelector: { [OS]: UNKNOWN_WIRE_VALUE } },
      UNKNOWN,
    ],
  ];
  for (const [behaviour, spec, expected] of cases)
    it(behaviour, () => assert.deepEqual(osPin(spec), expected));
});

describe("nodeLabelPin: the values a spec pins a node label to", () => {
  it("gathers each term's values, lower-cased", () => {
    assert.deepEqual(
      nodeLabelPin(
        affinity(term("kubernetes.io/arch", "In", ["AMD64"]), term("kubernetes.io/arch", "In", ["arm64"])),
        "kubernetes.io/arch",
      ),
      {
        values: ["amd64", "arm64"],
        via: "a required node-affinity term on kubernetes.io/arch",
      },
    );
  });
  it("is not known while the affinity is not", () => {
    assert.equal(
      nodeLabelPin(
        {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: UNKNOWN_WIRE_VALUE },
            },
          },
        },
        OS,
      ),
      UNKNOWN,
    );
  });
});

describe("clusterOses: the OSes of a cluster's pools", () => {
  it("Linux only", () => {
    const { topo, pair } = scenarioPull("healthy-public");
    assert.deepEqual(clusterOses(topo, pair.cluster), new Set(["linux"]));
  });
  it("Linux and Windows where a Windows pool is recorded", () => {
    const { topo, pair } = scenarioPull("windows-pool-no-os-selector");
    assert.deepEqual(clusterOses(topo, pair.cluster), new Set(["linux", "windows"]));
  });
});

describe("isWindowsImage: images that only run on Windows nodes", () => {
  const cases: [string, boolean][] = [
    ["mcr.microsoft.com/windows/servercore:ltsc2022", true],
    ["mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022", true],
    ["contosoacr.azurecr.io/tools/nanoserver-base:1.0", true],
    ["contosoacr.azurecr.io/shop/web:1.4.2", false],
    ["mcr.microsoft.com/dotnet/aspnet:8.0", false],
  ];
  for (const [image, windows] of cases)
    it(`${image}: ${windows ? "Windows-only" : "not Windows-only"}`, () =>
      assert.equal(isWindowsImage(image), windows));
});
