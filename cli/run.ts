/** The entry bin/aks-acr-guard.js runs under tsx. */
import { main } from "./main";

void main(process.argv.slice(2)).then((code) => process.exit(code));
