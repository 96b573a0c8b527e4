// The aks-acr-guard policy pack. Built into dist/index.js (scripts/build-policies.mjs) so the pack
// runs and publishes from this folder alone, with nothing to compile at start-up.
import { PolicyPack } from "@pulumi/policy";
import { recordPlannedInputs } from "./lib/planned-inputs";
import { shareStackReading } from "./lib/shared-stack";
import { policies } from "./policies";

recordPlannedInputs();
shareStackReading(policies);
new PolicyPack("aks-acr-guard", { policies });
