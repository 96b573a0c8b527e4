/**
 * What a user does with the package: `npm pack` in the repository, then a project of their own
 * (`test/engine/user-project/`: a program and a runner) that installs the tarball and the peer
 * dependencies from the registry (or npm's cache), outside the repository, so that nothing of the
 * repository's sources or node_modules can be seen from it. The package test and the package bench
 * share it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lowestOf, peerRanges } from "../matrix/cells";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface UserProject {
  /** The project folder: package.json, index.mjs (the program), run-stack.mjs, node_modules. */
  dir: string;
  /** The packed tarball. */
  tarball: string;
  /** The files `npm pack` put in it. */
  files: string[];
  close(): void;
}

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Builds and packs the package into `into`, as a user's `npm install <tarball>` gets it. */
export function packTarball(into: string): { tarball: string; files: string[] } {
  npm(["run", "build"], REPO_ROOT);
  const [packed] = JSON.parse(
    npm(["pack", "--ignore-scripts", "--json", "--pack-destination", into], REPO_ROOT),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  return { tarball: path.join(into, packed.filename), files: packed.files.map((f) => f.path) };
}

/** Builds and packs the package, and installs the tarball in a new project in a temporary folder. */
export function packAndInstall(): UserProject {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "aks-acr-guard-user-"));
  const { tarball, files } = packTarball(work);
  const dir = path.join(work, "project");
  fs.mkdirSync(dir);
  for (const f of ["index.mjs", "run-stack.mjs"])
    fs.copyFileSync(path.join(__dirname, "user-project", f), path.join(dir, f));
  // The lowest version of each peer: the engine suite's own SDK, which runs on every supported
  // Node (the newest @pulumi/pulumi needs Node 22; test/matrix installs it where it runs).
  const peers = Object.fromEntries(
    Object.entries(peerRanges()).map(([name, range]) => [name, lowestOf(range)]),
  );
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      {
        name: "user-project",
        private: true,
        type: "module",
        dependencies: { "aks-acr-guard": `file:${tarball}`, ...peers },
      },
      null,
      2,
    ),
  );
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  return {
    dir,
    tarball,
    files,
    close: () => fs.rmSync(work, { recursive: true, force: true }),
  };
}
