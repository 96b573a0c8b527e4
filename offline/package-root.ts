/**
 * The folder of this package: the repository, or `node_modules/aks-acr-guard` where it is
 * installed; found from this file whether it runs as TypeScript (`offline/`) or compiled
 * (`dist/offline/`). Light on purpose: the command reads it before loading anything else.
 */
import * as fs from "node:fs";
import * as path from "node:path";

function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string }).name === "aks-acr-guard"
    )
      return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`aks-acr-guard: no package.json of aks-acr-guard above ${__dirname}`);
  }
}

export const PACKAGE_ROOT = packageRoot();

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string })
    .version;
}
