// Reading a kubernetes.io/dockerconfigjson pull secret (core/identity/pull-secrets.ts): its entries,
// passwords as SHA-256 only, and why the kubelet cannot use it (fatal when it cannot even parse it).
// How each entry is judged against the registry is tested through k8s-acr-pull-secret-valid.
import * as assert from "node:assert/strict";
import { ENTRA_TOKEN_USERNAME, readPullSecret, sha256 } from "../../../core/identity/pull-secrets";
import { StackResource } from "../../../core/stack/resource";
import { UNKNOWN, UNKNOWN_WIRE_VALUE } from "../../../core/stack/values";

const secret = (props: Record<string, unknown>, type = "kubernetes.io/dockerconfigjson"): StackResource => ({
  type: "kubernetes:core/v1:Secret",
  urn: "urn:pulumi:test::aks-acr-guard::kubernetes:core/v1:Secret::apps/acr-contosoacr",
  name: "apps/acr-contosoacr",
  props: { type, ...props },
  dependencies: [],
  propertyDependencies: {},
});
const config = (auths: unknown) => JSON.stringify({ auths });
const b64 = (s: string) => Buffer.from(s).toString("base64");
/** A JWT whose `exp` is this date (unsigned: only the expiry is read). */
const jwt = (exp: Date) =>
  ["e30", Buffer.from(JSON.stringify({ exp: exp.getTime() / 1000 })).toString("base64url"), "sig"].join(".");

describe("readPullSecret: a dockerconfigjson secret's entries", () => {
  it("reads username and password, hashing the password, from stringData", () => {
    const read = readPullSecret(
      secret({
        stringData: {
          ".dockerconfigjson": config({
            "contosoacr.azurecr.io": { username: "contosoacr", password: "pw" },
          }),
        },
      }),
    );
    assert.deepEqual(read, {
      entries: [{ server: "contosoacr.azurecr.io", username: "contosoacr", passwordHash: sha256("pw") }],
    });
    assert.doesNotMatch(JSON.stringify(read), /"pw"/, "no password leaves the module");
  });
  it("decodes data and an entry's auth (base64 of username:password), and normalises the server", () => {
    const data = b64(config({ "https://ContosoACR.azurecr.io/v2/": { auth: b64("contosoacr:p:w") } }));
    assert.deepEqual(readPullSecret(secret({ data: { ".dockerconfigjson": data } })), {
      entries: [{ server: "contosoacr.azurecr.io", username: "contosoacr", passwordHash: sha256("p:w") }],
    });
  });
  it("takes an Entra token's expiry from its exp claim", () => {
    const exp = new Date("2026-12-05T12:00:00Z");
    const read = readPullSecret(
      secret({
        stringData: {
          ".dockerconfigjson": config({
            "contosoacr.azurecr.io": { username: ENTRA_TOKEN_USERNAME, password: jwt(exp) },
          }),
        },
      }),
    );
    assert.ok(read && read !== UNKNOWN && "entries" in read);
    assert.deepEqual(read.entries[0].tokenExpires, exp);
  });
  it("keeps a recording's password hash and token expiry (capture-world.sh writes no password)", () => {
    const hash = sha256("recorded");
    const read = readPullSecret(
      secret({
        stringData: {
          ".dockerconfigjson": config({
            "contosoacr.azurecr.io": {
              username: "t",
              passwordHash: hash.toUpperCase(),
              tokenExpires: "2027-01-01T00:00:00Z",
            },
          }),
        },
      }),
    );
    assert.deepEqual(read, {
      entries: [
        {
          server: "contosoacr.azurecr.io",
          username: "t",
          passwordHash: hash,
          tokenExpires: new Date("2027-01-01T00:00:00Z"),
        },
      ],
    });
  });

  const malformed: [string, Record<string, unknown>, string, boolean][] = [
    ["no .dockerconfigjson key: skipped", { data: {} }, "it has no .dockerconfigjson key", false],
    [
      "data that is not base64: skipped",
      { data: { ".dockerconfigjson": "not base64!" } },
      "data[.dockerconfigjson] is not valid base64",
      false,
    ],
    [
      "not JSON: the pod pulls nothing",
      { stringData: { ".dockerconfigjson": "{" } },
      ".dockerconfigjson is not JSON",
      true,
    ],
    [
      "auths not an object: the pod pulls nothing",
      { stringData: { ".dockerconfigjson": '{"auths":[]}' } },
      ".dockerconfigjson has no auths object",
      true,
    ],
    [
      "no auths at all: skipped",
      { stringData: { ".dockerconfigjson": "{}" } },
      ".dockerconfigjson has no auths object",
      false,
    ],
    [
      "an auth that is not username:password: the pod pulls nothing",
      { stringData: { ".dockerconfigjson": config({ "contosoacr.azurecr.io": { auth: b64("no-colon") } }) } },
      "the auth of contosoacr.azurecr.io is not base64 of username:password",
      true,
    ],
  ];
  for (const [behaviour, props, why, fatal] of malformed) {
    it(behaviour, () => assert.deepEqual(readPullSecret(secret(props)), { malformed: why, fatal }));
  }
  it("is not known while its content is not (a preview), and is no pull secret of another type", () => {
    assert.equal(
      readPullSecret(secret({ stringData: { ".dockerconfigjson": UNKNOWN_WIRE_VALUE } })),
      UNKNOWN,
    );
    assert.equal(readPullSecret(secret({ stringData: {} }, "Opaque")), undefined);
  });
});
