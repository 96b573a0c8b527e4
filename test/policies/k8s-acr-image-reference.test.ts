import { kubeletPull, managedCluster, registry } from "../fixtures/azure";
import { withProps } from "../harness";
import { deployment, workload } from "../fixtures/kubernetes";
import {
  assertNoMandatory,
  assertSilent,
  assertViolation,
  PolicyPackClient,
  usePolicy,
  usePolicyPack,
  withUnknown,
} from "../harness";

const POLICY = "k8s-acr-image-reference";

/** A registry whose login server is not `<name>.azurecr.io` (domain-name-label scope). */
const registryWithLoginServer = (name: string, loginServer: string) =>
  withProps(registry(name), (p) => (p.loginServer = loginServer));

describe(POLICY, () => {
  const { run, pack } = usePolicy(POLICY);

  const acr = registry("contosoacr");
  const aks = managedCluster("aks-prod");
  const base = [acr, aks, kubeletPull(aks, acr)];
  const app = (image: string) => deployment("web", { containers: [{ name: "web", image }] });

  it("is silent for images from a registry in the stack and from other public registries", async () => {
    assertSilent(await run([...base, app("contosoacr.azurecr.io/web:1.4.2")]));
    assertSilent(await run([...base, app("mcr.microsoft.com/dotnet/aspnet:8.0"), app("nginx")]));
  });

  it("reports the azureacr.io misspelling of the article, with the image as meant", async () => {
    const w = app("contosoacr.azureacr.io/web:1.4.2");
    assertViolation(
      await run([...base, w]),
      "mandatory",
      w,
      "Container 'web' of Deployment 'default/web' (spec.template.spec.containers[0].image)",
      "ErrImagePull",
      '"azureacr.io" is not an Azure registry domain: did you mean azurecr.io?',
      'Fix: set the image to "contosoacr.azurecr.io/web:1.4.2"',
      "The login servers of the registries this stack shows: contosoacr.azurecr.io.",
    );
  });

  it("reports a login server written with a port: the credential provider sends no credentials (401)", async () => {
    const w = app("contosoacr.azurecr.io:443/web:1.4.2");
    assertViolation(
      await run([...base, w]),
      "mandatory",
      w,
      "will fail with ErrImagePull / ImagePullBackOff",
      "401 Unauthorized",
      "matches images against patterns such as *.azurecr.io by host and port",
      "whatever roles the kubelet identity holds",
      'Fix: set the image to "contosoacr.azurecr.io/web:1.4.2"',
    );
  });

  it("accepts the port on a registry that allows anonymous pull, and waits while that is not known", async () => {
    const anonymous = withProps(
      registry("contosoacr", { sku: "Standard" }),
      (p) => (p.anonymousPullEnabled = true),
    );
    const w = app("contosoacr.azurecr.io:443/web:1.4.2");
    assertSilent(await run([anonymous, aks, w]));
    assertNoMandatory(await run([withUnknown(anonymous, "anonymousPullEnabled"), aks, w]));
  });

  describe("login server forms older nodes' credential provider does not match (-unverified)", () => {
    const harness = usePolicyPack();
    const UNVERIFIED = `${POLICY}-unverified`;
    it("asks about a regional endpoint: matchImages listed only *.azurecr.io until July 2026", async () => {
      const w = app("contosoacr.westeurope.geo.azurecr.io/web:1.4.2");
      assertNoMandatory(await run([...base, w]));
      assertViolation(
        await harness.run(UNVERIFIED, [...base, w]),
        "advisory",
        w,
        "may fail with",
        "401 Unauthorized",
        "a geo-replica's regional endpoint",
        "not certain",
        'name the registry by its login server, "contosoacr.azurecr.io/web:1.4.2"',
      );
    });
    it("asks about a domain-name-label login server", async () => {
      const dnl = registryWithLoginServer("contosodnl", "contosodnl-e7ggejfuhzhgedc8.azurecr.io");
      const w = app("contosodnl-e7ggejfuhzhgedc8.azurecr.io/web:1.4.2");
      assertViolation(
        await harness.run(UNVERIFIED, [dnl, aks, w]),
        "advisory",
        w,
        "a domain-name-label login server",
      );
    });
    it("is silent for the plain login server, and for a registry that allows anonymous pull", async () => {
      assertSilent(await harness.run(UNVERIFIED, [...base, app("contosoacr.azurecr.io/web:1.4.2")]));
      const anonymous = withProps(
        registry("contosoacr", { sku: "Standard" }),
        (p) => (p.anonymousPullEnabled = true),
      );
      assertSilent(
        await harness.run(UNVERIFIED, [anonymous, aks, app("contosoacr.westeurope.geo.azurecr.io/web:1")]),
      );
    });
  });

  it("reports a first deploy's misspelt image from Analyze's inputs when the engine leaves its outputs empty", async function () {
    this.timeout(60_000);
    // GIVEN a Deployment on a Kubernetes provider made from a cluster this deploy creates: the
    // engine analyzes its inputs, then sends AnalyzeStack with empty outputs (the provider's config
    // was unknown, so it was never asked to create it)
    const w = app("contosoacr.azureacr.io/web:1.4.2");
    const planned = { ...w, props: {} };
    const unshared = await PolicyPackClient.start(undefined, { AKS_ACR_GUARD_SHARED_STACK: "0" });
    try {
      await unshared.configure();
      for (const p of [pack(), unshared]) {
        // WHEN only AnalyzeStack is sent, nothing says what the Deployment will run
        assertSilent((await p.analyzeStack([...base, planned])).filter((d) => d.policyName === POLICY));
        // THEN after Analyze, its inputs decide
        await p.analyze(w);
        assertViolation(
          (await p.analyzeStack([...base, planned])).filter((d) => d.policyName === POLICY),
          "mandatory",
          w,
          '"azureacr.io" is not an Azure registry domain: did you mean azurecr.io?',
        );
      }
    } finally {
      await unshared.stop();
    }
  });

  for (const [what, image, words] of [
    ["a .com domain", "contosoacr.azurecr.com/web:1", 'set the image to "contosoacr.azurecr.io/web:1"'],
    [
      "a dropped letter in the domain",
      "contosoacr.azurcr.io/web:1",
      'set the image to "contosoacr.azurecr.io/web:1"',
    ],
    ["a missing registry name", "azurecr.io/web:1", "names no registry"],
    ["upper case", "ContosoACR.azurecr.io/web:1", 'set the image to "contosoacr.azurecr.io/web:1"'],
    ["the private-link name", "contosoacr.privatelink.azurecr.io/web:1", "TLS certificate does not cover"],
    ["a name no registry can have", "contoso-acr.azurecr.io/web:1", "cannot be a registry name"],
  ] as const) {
    it(`reports ${what}`, async () => {
      const w = app(image);
      assertViolation(await run([...base, w]), "mandatory", w, words);
    });
  }

  it("leaves a name a couple of edits from a registry in the stack to k8s-acr-registry-known: it can exist", async () => {
    // Per-region registries one or two letters apart are the norm (contosoeus, contosowus): a name
    // that can exist is not certain to fail, so this mandatory policy says nothing about it.
    const w = app("contosoarc.azurecr.io/web:1.4.2");
    assertSilent(await run([...base, w]));
  });

  describe("real login servers and Microsoft endpoints are never reported", () => {
    for (const [what, stack, image] of [
      ["a geo-replicated registry's regional endpoint", base, "contosoacr.westeurope.geo.azurecr.io/app:1.0"],
      [
        "a domain-name-label scoped login server, the stack's own",
        [registryWithLoginServer("contosodnl", "contosodnl-e7ggejfuhzhgedc8.azurecr.io"), aks],
        "contosodnl-e7ggejfuhzhgedc8.azurecr.io/app:1.0",
      ],
      [
        "a domain-name-label scoped login server outside the stack",
        base,
        "fabrikam-h5c2a9d7e1b3f4g6.azurecr.io/app:1",
      ],
      ["the Microsoft registry AKS needs in Azure China", base, "mcr.azure.cn/oss/kubernetes/pause:3.9"],
      ["an Azure Government endpoint", base, "mcr.azure.us/oss/kubernetes/pause:3.9"],
      [
        "a per-region registry one letter from the stack's",
        [registry("contosoeus"), aks],
        "contosowus.azurecr.io/app:1.0",
      ],
    ] as const) {
      it(`accepts ${what}`, async () => {
        assertSilent(await run([...stack, app(image)]));
      });
    }

    it("accepts each of those forms in allowedLoginServers, as the schema and the policy read it", async () => {
      const servers = [
        "contosoacr.westeurope.geo.azurecr.io",
        "contosodnl-e7ggejfuhzhgedc8.azurecr.io",
        "contosoacr.azurecr.cn",
      ];
      for (const server of servers) {
        const w = app(`${server}/app:1.0`);
        assertSilent(await run([aks, w], { allowedLoginServers: [server] }));
      }
    });

    it("still reports a regional data endpoint, which is no login server", async () => {
      const w = app("contosoacr.westeurope.data.azurecr.io/app:1.0");
      assertViolation(await run([...base, w]), "mandatory", w, "is not a login server");
    });
  });

  it("takes registries in allowedLoginServers as existing", async () => {
    const w = app("contosoarc.azurecr.io/web:1.4.2");
    assertSilent(await run([...base, w], { allowedLoginServers: ["contosoarc.azurecr.io"] }));
  });

  it("reports a malformed Azure image reference as InvalidImageName", async () => {
    const w = app("contosoacr.azurecr.io/Web:1.4.2");
    assertViolation(await run([...base, w]), "mandatory", w, "InvalidImageName", "must be lower case");
  });

  it("looks in init containers of every workload kind", async () => {
    const job = workload("CronJob", "report", {
      containers: [{ image: "contosoacr.azurecr.io/report:2" }],
      initContainers: [{ name: "migrate", image: "contosoacr.azureacr.io/migrate:2" }],
    });
    assertViolation(
      await run([...base, job]),
      "mandatory",
      job,
      "Container 'migrate' of CronJob 'default/report' (spec.jobTemplate.spec.template.spec.initContainers[0].image)",
    );
  });

  it("reports nothing mandatory while an image is not known yet", async () => {
    assertNoMandatory(await run([...base, withUnknown(app("x"), "spec.template.spec.containers")]));
  });
});
