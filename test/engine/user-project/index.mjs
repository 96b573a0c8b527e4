import * as pulumi from "@pulumi/pulumi";
import { AcrPullAccess, AksAcrIntegration } from "aks-acr-guard";

const config = new pulumi.Config();

// An existing cluster and registry: observe both, and declare the wiring their pulls lack.
const integration = new AksAcrIntegration("aks-prod", {
  clusterId: config.require("clusterId"),
  registryId: config.require("registryId"),
});

// A pull role you manage yourself: here, for a CI identity pulling from the same registry.
new AcrPullAccess("ci-pull", {
  registryId: config.require("registryId"),
  principalId: config.require("ciPrincipalId"),
});

export const declared = integration.summary.declared;
export const commands = integration.summary.commands;
