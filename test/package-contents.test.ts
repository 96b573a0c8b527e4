// What `npm pack` ships (package.json "files", built by `npm test`'s build): nothing test-only.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../offline/analyzer";

/** Every file under a folder, relative to the repository. */
function walk(dir: string): string[] {
  return fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? walk(rel) : [rel];
  });
}

describe("the published package", () => {
  it("ships no test helper: test/harness's mutators live only in test/", () => {
    const js = walk("dist").filter((f) => f.endsWith(".js"));
    assert.ok(js.includes(path.join("dist", "offline", "resources.js")), "npm test builds dist first");
    const helpers = /\bfunction (withProps|setPath|withUnknown|without)\(|\bexports\.(unknown|secret) =/;
    const found = js.filter((f) => helpers.test(fs.readFileSync(path.join(REPO_ROOT, f), "utf8")));
    assert.deepEqual(found, []);
    const files = (
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { files: string[] }
    ).files;
    assert.deepEqual(
      files.filter((f) => f.startsWith("test")),
      [],
    );
  });
});
