import * as assert from "node:assert/strict";
import {
  checkImage,
  classifyHost,
  closestRegistry,
  LOGIN_SERVER,
  editDistance,
  parseImage,
  pinning,
} from "../../../core/stack/images";

describe("core/images", () => {
  it("parses references the way the kubelet does", () => {
    const ok = (raw: string) => {
      const p = parseImage(raw);
      assert.ok(p.ok, `${raw}: ${!p.ok && p.reason}`);
      return p.ref;
    };
    assert.deepEqual(ok("contosoacr.azurecr.io/team/web:1.4.2"), {
      raw: "contosoacr.azurecr.io/team/web:1.4.2",
      host: "contosoacr.azurecr.io",
      explicitHost: true,
      repository: "team/web",
      tag: "1.4.2",
      digest: undefined,
    });
    assert.equal(ok("nginx").host, "docker.io");
    assert.equal(ok("localhost:5000/app:dev").host, "localhost:5000");
    assert.equal(
      ok(`mcr.microsoft.com/dotnet/aspnet@sha256:${"a".repeat(64)}`).digest,
      `sha256:${"a".repeat(64)}`,
    );
    assert.equal(ok("contosoacr.azurecr.io/web:1.0@sha256:" + "b".repeat(64)).tag, "1.0");
  });

  it("refuses malformed references with a reason", () => {
    for (const [raw, reason] of [
      ["", /empty/],
      [" nginx", /white space/],
      ["contosoacr.azurecr.io/Web:1", /must be lower case/],
      ["contosoacr.azurecr.io//web", /empty part/],
      ["contosoacr.azurecr.io/web:", /not a valid tag/],
      ["contosoacr.azurecr.io/web@sha256:xyz", /not a digest/],
      ["contoso_acr.azurecr.io/web:1", /not a registry host/],
    ] as const) {
      const p = parseImage(raw);
      assert.ok(!p.ok && reason.test(p.reason), `${JSON.stringify(raw)}: ${JSON.stringify(p)}`);
    }
  });

  it("recognises login servers in every Azure cloud", () => {
    for (const host of ["contosoacr.azurecr.io", "contosoacr.azurecr.cn", "contosoacr.azurecr.us"]) {
      assert.equal(classifyHost(host).kind, "loginServer", host);
    }
    assert.deepEqual(classifyHost("contosoacr.westeurope.geo.azurecr.io"), {
      kind: "loginServer",
      registryName: "contosoacr",
      loginServer: "contosoacr.westeurope.geo.azurecr.io",
      defaultLoginServer: "contosoacr.azurecr.io",
    });
    assert.equal(classifyHost("contosodnl-e7ggejfuhzhgedc8.azurecr.io").kind, "loginServer");
    assert.equal(classifyHost("contosodnl-e7ggejfuhzhgedc8.westeurope.geo.azurecr.io").kind, "loginServer");
    assert.equal(classifyHost("contosoacr.westeurope.data.azurecr.io").kind, "broken", "a data endpoint");
    assert.equal(classifyHost("contoso-acr.azurecr.io").kind, "broken", "no 16-character hash");
    for (const host of ["mcr.azure.cn", "mcr.azure.us", "docker.io", "mcr.microsoft.com"])
      assert.equal(classifyHost(host).kind, "other", host);
    for (const server of [
      "contosoacr.azurecr.io",
      "contosoacr.westeurope.geo.azurecr.io",
      "contosodnl-e7ggejfuhzhgedc8.azurecr.io",
      "contosoacr.chinanorth3.geo.azurecr.cn",
    ])
      assert.match(server, LOGIN_SERVER, server);
    assert.doesNotMatch("contosoacr.westeurope.data.azurecr.io", LOGIN_SERVER);
    assert.equal(classifyHost("ghcr.io").kind, "other");
  });

  it("catches the misspellings the article names and their kin, with what was meant", () => {
    const broken = (host: string) => {
      const c = classifyHost(host);
      assert.equal(c.kind, "broken", host);
      return c as Extract<typeof c, { kind: "broken" }>;
    };
    assert.equal(broken("contosoacr.azureacr.io").suggestion, "contosoacr.azurecr.io");
    assert.match(broken("contosoacr.azureacr.io").problem, /did you mean azurecr\.io/);
    assert.equal(broken("contosoacr.azurecr.com").suggestion, "contosoacr.azurecr.io");
    assert.equal(broken("contosoacr.azurcr.io").suggestion, "contosoacr.azurecr.io");
    assert.match(broken("azurecr.io").problem, /names no registry/);
    assert.equal(broken("ContosoACR.azurecr.io").suggestion, "contosoacr.azurecr.io");
    assert.match(broken("contosoacr.privatelink.azurecr.io").problem, /private-link DNS name.*TLS/);
    assert.equal(broken("contosoacr.privatelink.azurecr.io").suggestion, "contosoacr.azurecr.io");
    assert.equal(broken("contoso-acr.azurecr.io").suggestion, "contosoacr.azurecr.io");
    assert.match(broken("acr.azurecr.io").problem, /5 to 50 letters and digits/);
  });

  it("suggests the known registry one or two edits away", () => {
    const known = new Set(["contosoacr.azurecr.io", "fabrikamregistry.azurecr.io"]);
    assert.equal(closestRegistry("contosoarc", known), "contosoacr.azurecr.io");
    assert.equal(closestRegistry("contoso", known), undefined, "three edits away");
    assert.equal(closestRegistry("contosoacr", known), undefined, "itself is known");
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("abc", "abc"), 0);
  });

  it("judges an image against the login servers known to exist", () => {
    const known = new Set(["contosoacr.azurecr.io"]);
    assert.deepEqual(checkImage("contosoacr.azurecr.io/web:1", known), {
      kind: "ok",
      loginServer: "contosoacr.azurecr.io",
    });
    assert.deepEqual(checkImage("nginx:1.27", known), { kind: "notAzure" });
    assert.deepEqual(
      checkImage("Nginx:1.27", known),
      { kind: "notAzure" },
      "malformed but not Azure: not this policy's",
    );
    assert.equal(checkImage("contosoacr.azurecr.io/Web:1", known).kind, "malformed");
    assert.deepEqual(checkImage("contosoacr.azureacr.io/web:1", known), {
      kind: "brokenHost",
      problem:
        '"azureacr.io" is not an Azure registry domain: did you mean azurecr.io? The name does not resolve ("no such host")',
      suggestion: "contosoacr.azurecr.io/web:1",
    });
    assert.deepEqual(checkImage("contosoarc.azurecr.io/web:1", known), {
      kind: "unknownRegistry",
      loginServer: "contosoarc.azurecr.io",
      registryName: "contosoarc",
      nearest: "contosoacr.azurecr.io",
      suggestion: "contosoacr.azurecr.io/web:1",
    });
    assert.deepEqual(checkImage("contosoacr.westeurope.geo.azurecr.io/web:1", known), {
      kind: "ok",
      loginServer: "contosoacr.azurecr.io",
    });
    assert.equal(checkImage("fabrikamacr.azurecr.io/web:1", known).kind, "unknownRegistry");
  });

  it("tells a pinned image from a floating one", () => {
    const pin = (raw: string) => {
      const p = parseImage(raw);
      assert.ok(p.ok);
      return pinning(p.ref);
    };
    assert.equal(pin("web:1.2"), "tag");
    assert.equal(pin("web:latest"), "latest");
    assert.equal(pin("web"), "none");
    assert.equal(pin(`web:latest@sha256:${"c".repeat(64)}`), "digest");
  });
});
