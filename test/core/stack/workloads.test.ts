import * as assert from "node:assert/strict";
import {
  containerImages,
  describeWorkload,
  namespacedName,
  pullSecretNames,
  workloadKind,
} from "../../../core/stack/workloads";
import { UNKNOWN } from "../../../core/stack/values";
import { toStackResource } from "../../../offline/resources";
import { withUnknown } from "../../harness/mutate";
import { workload } from "../../fixtures/kubernetes";

describe("core/workloads", () => {
  const kinds = [
    "Pod",
    "PodTemplate",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
  ] as const;

  for (const kind of kinds) {
    for (const patch of [false, true]) {
      it(`finds every container's image in a ${kind}${patch ? "Patch" : ""}`, () => {
        const w = workload(kind, "app", {
          patch,
          containers: [{ image: "contosoacr.azurecr.io/app:1", name: "app" }],
          initContainers: [{ image: "busybox:1.36", name: "init" }],
        });
        const images = containerImages(toStackResource(w));
        assert.deepEqual(
          images.map((i) => [i.container, i.image]),
          [
            ["app", "contosoacr.azurecr.io/app:1"],
            ["init", "busybox:1.36"],
          ],
        );
        assert.match(images[1].path, /initContainers\[0\]\.image$/);
      });
    }
  }

  it("finds ephemeral containers", () => {
    const pod = workload("Pod", "debug", { containers: [{ image: "app:1" }] });
    (pod.props.spec as Record<string, unknown>).ephemeralContainers = [
      { name: "dbg", image: "busybox:latest" },
    ];
    assert.deepEqual(
      containerImages(toStackResource(pod)).map((i) => i.container),
      ["c0", "dbg"],
    );
  });

  it("reports an image not known yet as UNKNOWN", () => {
    const d = withUnknown(
      workload("Deployment", "web", { containers: [{ image: "x:1" }] }),
      "spec.template.spec.containers",
    );
    assert.deepEqual(
      containerImages(toStackResource(d)).map((i) => i.image),
      [UNKNOWN],
    );
  });

  it("ignores what carries no pod spec", () => {
    assert.equal(workloadKind("kubernetes:core/v1:Service"), undefined);
    assert.equal(workloadKind("kubernetes:apps/v1beta2:Deployment"), "Deployment");
    assert.equal(workloadKind("kubernetes:batch/v1:CronJobPatch"), "CronJob");
    assert.equal(workloadKind("azure-native:containerregistry:Registry"), undefined);
  });

  it("names a workload as kubectl does", () => {
    assert.equal(
      describeWorkload(
        toStackResource(
          workload("StatefulSet", "db", { namespace: "data", containers: [{ image: "pg:16" }] }),
        ),
      ),
      "StatefulSet 'data/db'",
    );
  });

  it("names the pull secrets a workload's pods use in the workload's namespace, and a secret by namespace/name", () => {
    const deployment = toStackResource(
      workload("Deployment", "web", {
        namespace: "apps",
        containers: [{ image: "contosoacr.azurecr.io/web:1", name: "web" }],
        imagePullSecrets: ["acr-pull", "fallback"],
      }),
    );
    assert.deepEqual([...pullSecretNames(deployment)], ["apps/acr-pull", "apps/fallback"]);
    const bare = toStackResource(
      workload("Pod", "debug", { containers: [{ image: "busybox:1.36", name: "b" }] }),
    );
    assert.deepEqual([...pullSecretNames(bare)], []);
    assert.equal(namespacedName(bare), "default/debug");
    assert.equal(namespacedName(deployment), "apps/web");
  });
});
