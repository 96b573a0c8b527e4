/**
 * The matrix's cells: a Node major and a `@pulumi/pulumi` version (with the providers beside it),
 * and what a cell's package test needs to know, passed from test/matrix/run.ts in the environment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as semver from "semver";

const REPO = path.resolve(__dirname, "..", "..");

export const NODE_MAJORS = [20, 22, 24] as const;

interface PackageJson {
  peerDependencies: Record<string, string>;
}

/** The peer ranges the package declares (package.json): the matrix proves them. */
export function peerRanges(): Record<string, string> {
  return (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as PackageJson)
    .peerDependencies;
}

/** The lowest version a peer range admits: `^3.248.0` -> `3.248.0`. */
export function lowestOf(range: string): string {
  const v = semver.minVersion(range);
  if (!v) throw new Error(`peer range ${JSON.stringify(range)} admits no version`);
  return v.version;
}

/**
 * The newest release in `range` whose `engines.node` admits Node `nodeVersion`, from the registry's
 * answer to `npm view <name>@<range> version engines --json`; prereleases are not releases.
 */
export function newestFor(
  nodeVersion: string,
  range: string,
  published: { version: string; engines?: { node?: string } }[],
): string {
  const fits = published
    .filter((p) => !semver.prerelease(p.version) && semver.satisfies(p.version, range))
    .filter((p) => !p.engines?.node || semver.satisfies(nodeVersion, p.engines.node))
    .map((p) => p.version)
    .sort(semver.rcompare);
  if (fits.length === 0) throw new Error(`no release in ${range} runs on Node ${nodeVersion}`);
  return fits[0];
}

export type SdkChoice = "lowest" | "newest";

/** A cell as its package test sees it. */
export interface Cell {
  label: string;
  node: number;
  sdk: SdkChoice;
  /** The exact @pulumi/pulumi version of the cell. */
  sdkVersion: string;
  /** The newest @pulumi/pulumi in the peer range whose engines admit the cell's Node. */
  newestSdk: string;
  /** The providers a user on this cell installs beside the package: exact versions, or "latest". */
  peers: [string, string][];
  tarball: string;
  /** The machine's npm CLI (npm-cli.js), run with the cell's Node. */
  npmCli: string;
}

export function cellToEnv(cell: Cell): Record<string, string> {
  return { AKS_ACR_GUARD_MATRIX_CELL: JSON.stringify(cell) };
}

export function cellFromEnv(): Cell {
  const raw = process.env.AKS_ACR_GUARD_MATRIX_CELL;
  if (!raw)
    throw new Error("run the package matrix with `npm run test:matrix` (test/matrix/run.ts names the cell)");
  return JSON.parse(raw) as Cell;
}

/** What `pulumi new typescript` puts in package.json for the SDK: npm resolves it to the newest release. */
export const TEMPLATE_SDK_RANGE = "^3.113.0";

/**
 * The files `pulumi new typescript` writes (pulumi/templates, typescript/, as of 2026-08): its
 * package.json (TypeScript 5 and @types/node 18 as dev dependencies, `@pulumi/pulumi ^3.113.0`, which
 * `npm install` resolves to the newest release; a cell on the lowest SDK pins it), its tsconfig
 * (strict, `nodenext`, no `skipLibCheck`) and Pulumi.yaml.
 */
export function pulumiNewTypescript(name: string, sdk: string): Record<string, string> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 4)}\n`;
  return {
    "package.json": json({
      name,
      main: "index.ts",
      devDependencies: { "@types/node": "^18", typescript: "^5.0.0" },
      dependencies: { "@pulumi/pulumi": sdk },
    }),
    "tsconfig.json": json({
      compilerOptions: {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "nodenext",
        moduleResolution: "nodenext",
        sourceMap: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
      },
      files: ["index.ts"],
    }),
    "Pulumi.yaml": `name: ${name}\ndescription: A minimal TypeScript Pulumi program\nruntime: nodejs\n`,
    "index.ts": 'import * as pulumi from "@pulumi/pulumi";\n',
  };
}

/** The program under README's "Use it in your program", as a user pastes it. */
export function readmeProgram(): string {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const m = /### Use it in your program\n\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block under "### Use it in your program"');
  return m[1];
}
