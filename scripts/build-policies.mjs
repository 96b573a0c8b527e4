// Bundles policies/index.ts with the core/ code it shares into policies/dist/index.js: a published
// pack is only its own folder, and a JavaScript entry means nothing compiles at start-up.
// @pulumi/policy and @pulumi/pulumi stay external: the engine's runner and the pack must share them.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ["policies/index.ts"],
  outfile: "policies/dist/index.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  external: ["@pulumi/policy", "@pulumi/policy/*", "@pulumi/pulumi", "@pulumi/pulumi/*"],
  legalComments: "none",
  logLevel: "warning",
});
