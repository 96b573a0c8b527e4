// The content step (core/path/content.ts): the image offers the platform (OS and CPU architecture) of
// every node pool its pods can land on.
import * as assert from "node:assert/strict";
import { architectureFindings, osFindings } from "../../../core/path/content";
import { scenarioPull } from "./scenario";

const NO_MATCH = /no match for platform in manifest: not found/;

describe("architectureFindings: the image offers the CPU architecture of each pool its pods can land on", () => {
  const cases: [string, string, string[]][] = [
    [
      "an amd64-only image that can land on an arm64 pool fails there",
      "image-architecture-mismatch",
      ["apps/web"],
    ],
    ["workloads on amd64 pools only, or pinned: nothing", "healthy-public", []],
    ["an image whose platforms were not read is not judged", "workload-arch-not-pinned", []],
  ];
  for (const [behaviour, name, workloads] of cases) {
    it(behaviour, () => {
      const { findings } = architectureFindings(scenarioPull(name).topo);
      assert.deepEqual(
        findings.map((f) => f.res.name),
        workloads,
      );
      for (const f of findings) {
        assert.equal(f.policy, "k8s-image-architecture");
        assert.match(f.symptom, NO_MATCH);
        assert.match(f.message, /node pool 'arm' \(Standard_D4ps_v5, arm64\)/);
      }
    });
  }
});

describe("osFindings: a workload that pins no OS in a cluster with Windows pools", () => {
  const cases: [string, string, string[]][] = [
    [
      "a Linux image without a nodeSelector, beside a Windows pool, fails on Windows nodes",
      "windows-pool-no-os-selector",
      ["apps/web"],
    ],
    ["a cluster with Linux pools only: nothing", "healthy-public", []],
  ];
  for (const [behaviour, name, workloads] of cases) {
    it(behaviour, () => {
      const { findings } = osFindings(scenarioPull(name).topo);
      assert.deepEqual(
        findings.map((f) => f.res.name),
        workloads,
      );
      for (const f of findings) {
        assert.equal(f.policy, "k8s-workload-os-selector");
        assert.match(f.symptom, NO_MATCH);
      }
    });
  }
});
