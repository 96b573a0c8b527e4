/** The entry bin/aks-acr-guard.js runs (compiled to dist/cli/run.js). */
import { main } from "./main";

// stdout to a pipe is written asynchronously: exiting as soon as main returns would cut a large
// report short wherever the reader (jq, tee, a CI log) is slower than we are. Exit once all of it
// has been handed to the pipe.
void main(process.argv.slice(2)).then((code) => process.stdout.write("", () => process.exit(code)));
