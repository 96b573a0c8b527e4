import { registry } from "../fixtures/azure";
import { deployment } from "../fixtures/kubernetes";
import { assertSilent, assertViolation, usePolicy } from "../harness";

const POLICY = "k8s-acr-registry-known";

describe(POLICY, () => {
  const { run } = usePolicy(POLICY);
  const acr = registry("contosoacr");
  const app = (image: string) => deployment("web", { containers: [{ name: "web", image }] });

  it("is silent for registries of the stack, and for images that are not Azure's", async () => {
    assertSilent(await run([acr, app("contosoacr.azurecr.io/web:1"), app("nginx:1.27")]));
  });

  it("reports an Azure registry the stack does not know, at advisory", async () => {
    const w = app("fabrikamacr.azurecr.io/web:1");
    assertViolation(
      await run([acr, w]),
      "advisory",
      w,
      "fabrikamacr.azurecr.io",
      "neither in this stack nor in allowedLoginServers",
      "az acr show -n fabrikamacr",
    );
  });

  it("is silent for registries in allowedLoginServers, and mandatory where an organisation sets it", async () => {
    const w = app("fabrikamacr.azurecr.io/web:1");
    assertSilent(await run([acr, w], { allowedLoginServers: ["fabrikamacr.azurecr.io"] }));
    assertViolation(
      await run([acr, w], { enforcementLevel: "mandatory" }),
      "mandatory",
      w,
      "fabrikamacr.azurecr.io",
    );
  });

  it("reports a near-miss of a registry in the stack at advisory, asking whether it was meant", async () => {
    // A name that can exist: per-region registries one or two letters apart are the norm.
    const w = app("contosoarc.azurecr.io/web:1");
    assertViolation(
      await run([acr, w]),
      "advisory",
      w,
      "contosoarc.azurecr.io",
      "Did you mean contosoacr.azurecr.io?",
      "az acr show -n contosoarc",
      "allowedLoginServers",
    );
  });

  it("takes a regional endpoint of a registry in the stack as that registry", async () => {
    assertSilent(await run([acr, app("contosoacr.westeurope.geo.azurecr.io/web:1")]));
  });
});
