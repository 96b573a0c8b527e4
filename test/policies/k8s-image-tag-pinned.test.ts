import * as assert from "node:assert/strict";
import { deployment, workload } from "../fixtures/kubernetes";
import { assertSilent, assertViolation, usePolicy, withUnknown } from "../harness";

const POLICY = "k8s-image-tag-pinned";

describe(POLICY, () => {
  const { run } = usePolicy(POLICY);
  const app = (image: string) => deployment("web", { containers: [{ name: "web", image }] });
  const digest = "sha256:" + "d".repeat(64);

  it("is silent for a version tag or a digest", async () => {
    assertSilent(
      await run([
        app("contosoacr.azurecr.io/web:1.4.2"),
        app(`contosoacr.azurecr.io/web@${digest}`),
        app(`nginx:latest@${digest}`),
      ]),
    );
  });

  it("reports an image tagged latest, with the az command that finds its digest", async () => {
    const w = app("contosoacr.azurecr.io/web:latest");
    assertViolation(
      await run([w]),
      "advisory",
      w,
      "tagged latest",
      "az acr repository show -n contosoacr --image web:latest --query digest -o tsv",
    );
  });

  it("reports an image with no tag at all", async () => {
    const w = workload("StatefulSet", "db", { containers: [{ name: "pg", image: "postgres" }] });
    assertViolation(
      await run([w]),
      "advisory",
      w,
      "Container 'pg' of StatefulSet 'default/db'",
      "no tag or digest",
    );
  });

  it("reports nothing but an advisory while the image is not known", async () => {
    const diags = await run([withUnknown(app("x"), "spec.template.spec.containers")]);
    assert.ok(diags.every((d) => d.enforcementLevel === "advisory"));
  });
});
