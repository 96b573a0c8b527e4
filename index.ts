/**
 * The aks-acr-guard program: points AksAcrIntegration at an existing cluster and registry named in
 * stack config (see Pulumi.example.yaml). It observes both, declares the wiring they lack, and
 * exports what it declared and the commands for what no declaration can fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { AksAcrIntegration } from "./components/aks-acr-integration";
import { AzureReader } from "./components/azure/reader";
import { ProgramConfig, readProgramConfig } from "./core/plan/program-config";

/**
 * Runs the program; Pulumi calls it with no argument and takes what it returns as stack outputs.
 * The offline preview passes the recording's config and a reader over the recording.
 */
function aksAcrGuard(
  get: (key: string) => string | undefined = (key) => new pulumi.Config().get(key),
  reader?: AzureReader,
) {
  const config = readProgramConfig(get);
  const integration = new AksAcrIntegration(config.cluster.resources[0].name, {
    clusterId: config.cluster.raw,
    registryId: config.registry.raw,
    principalObjectId: config.principalObjectId,
    firewallPolicyId: config.firewallPolicy?.raw,
    privateDnsZoneId: config.privateDnsZone?.raw,
    egressIps: config.egressIps,
    images: config.images,
    pullSecretNamespace: config.pullSecretNamespace,
    pullSecretCredentials: secretCredentials(config.pullSecretCredentials),
    reader,
  });
  return {
    declared: integration.summary.declared,
    commands: integration.summary.commands,
    notes: integration.summary.notes,
  };
}

/** The pull secret's password as a Pulumi secret, so that no state or output shows it. */
function secretCredentials(c: ProgramConfig["pullSecretCredentials"]) {
  if (!c) return undefined;
  return "tokenName" in c
    ? { tokenName: c.tokenName, tokenPassword: pulumi.secret(c.tokenPassword) }
    : {
        servicePrincipalClientId: c.servicePrincipalClientId,
        servicePrincipalSecret: pulumi.secret(c.servicePrincipalSecret),
      };
}

export = aksAcrGuard;
