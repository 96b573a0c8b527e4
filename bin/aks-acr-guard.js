#!/usr/bin/env node
// The command-line tool: the compiled cli/run.ts (dist/, built by `npm run build` and shipped in the package).
require("../dist/cli/run.js");
