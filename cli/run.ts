/** The entry bin/aks-acr-guard.js runs (compiled to dist/cli/run.js). */
import { main } from "./main";

void main(process.argv.slice(2)).then((code) => process.exit(code));
