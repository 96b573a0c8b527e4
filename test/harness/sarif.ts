// The SARIF 2.1.0 schema (test/fixtures/sarif-schema-2.1.0.json, from github.com/oasis-tcs/sarif-spec,
// sarif-2.1/schema), compiled with ajv for the tests that validate a log.
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { REPO_ROOT } from "../../offline/analyzer";

export function sarifValidator() {
  const ajv = new Ajv({ schemaId: "id", meta: false, allErrors: true });
  const draft04 = path.join(
    path.dirname(require.resolve("ajv/package.json")),
    "lib",
    "refs",
    "json-schema-draft-04.json",
  );
  ajv.addMetaSchema(JSON.parse(fs.readFileSync(draft04, "utf8")) as object);
  return ajv.compile(
    JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "sarif-schema-2.1.0.json"), "utf8"),
    ) as object,
  );
}
