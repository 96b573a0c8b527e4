#!/usr/bin/env node
// The command-line tool. The package ships its TypeScript as is: run cli/run.ts under tsx's loader (a dependency).
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const loader = pathToFileURL(require.resolve("tsx")).href;
const entry = path.join(__dirname, "..", "cli", "run.ts");
const child = spawnSync(process.execPath, ["--import", loader, entry, ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(child.status ?? 1);
