import { StackValidationPolicy } from "@pulumi/policy";
import { credentialEnds } from "../core/drift";
import { principalCanPull } from "../core/grants";
import { registryByLoginServer } from "../core/pull-pairs";
import {
  ENTRA_TOKEN_USERNAME,
  EntryProblem,
  isPullSecret,
  judgeEntry,
  readPullSecret,
  registryOfServer,
} from "../core/pull-secrets";
import { kubectlName } from "../core/workloads";
import { known, UNKNOWN } from "../core/values";
import { isObserved } from "../core/topology";
import { deferToPreview, topologyOf } from "./lib/stack";

const NAME = "k8s-acr-pull-secret-valid";

function explain(p: EntryProblem, registry: string): string {
  switch (p.kind) {
    case "adminDisabled":
      return `it is built from the admin account, which registry '${registry}' has disabled (adminUserEnabled: false)`;
    case "expiredEntraToken":
      return `it holds a Microsoft Entra token (username ${ENTRA_TOKEN_USERNAME}, from az acr login --expose-token), which expired at ${p.end.toISOString()}: such tokens last hours`;
    case "unknownToken":
      return `its username '${p.username}' is neither the registry's name (the admin account's username), a service principal's client id, nor one of registry '${registry}''s tokens (${p.tokens.join(", ")})`;
    case "tokenDisabled":
      return `it is built from token '${p.token}' of registry '${registry}', which is disabled (az acr token update -r ${registry} -n ${p.token} --status enabled)`;
    case "tokenExpired":
      return `it is built from token '${p.token}' of registry '${registry}', whose every password expired by ${p.end.toISOString().slice(0, 10)} (az acr token credential generate -r ${registry} -n ${p.token})`;
    case "stalePassword":
      return "its password matches neither of the registry's current admin passwords: they were regenerated since (solution 6)";
    case "unknownServicePrincipal":
      return `it is built from service principal ${p.clientId}, which does not exist in the tenant`;
    case "expiredServicePrincipal":
      return `it is built from service principal ${p.clientId}, whose every credential ended by ${p.end.toISOString().slice(0, 10)} (solution 5)`;
    case "servicePrincipalCannotPull":
      return `it is built from service principal ${p.clientId}, which holds no role that pulls from registry '${registry}'`;
  }
}

export const k8sAcrPullSecretValid: StackValidationPolicy = {
  name: NAME,
  description:
    "An image pull secret for an Azure registry works: built from the admin account only while it is enabled and with its " +
    "current password, from a service principal that exists, has not expired, and may pull, from a repository-scoped token " +
    "that exists, is enabled and has a live password (where the registry's tokens are known), or from a Microsoft Entra " +
    "token that has not expired. Secret values are never shown.",
  enforcementLevel: "mandatory",
  severity: "high",
  url: "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-5-make-sure-the-service-principal-is-correct-and-the-secret-is-valid",
  remediationSteps:
    "Rebuild the secret from live credentials each run (aks-acr-guard's AcrImagePullSecret), or drop it and pull with the " +
    "kubelet identity (`az aks update --attach-acr`).",
  validateStack: (args, reportViolation) => {
    const topo = topologyOf(args.resources);
    const byServer = registryByLoginServer(topo);
    const now = new Date();
    const ctx = {
      servicePrincipalEnds: (clientId: string) => {
        const ends = credentialEnds(topo, clientId);
        return ends === UNKNOWN ? UNKNOWN : ends.map((e) => e.end);
      },
      canPull: principalCanPull.bind(undefined, topo),
      observedServicePrincipals: [...topo.servicePrincipalsByUrn.values()].some((s) => isObserved(s.res)),
    };
    let pending: string | undefined;
    for (const res of topo.byUrn.values()) {
      if (!isPullSecret(res)) continue;
      const secret = readPullSecret(res);
      const where = `pull secret ${kubectlName(res)}`;
      if (secret === UNKNOWN) {
        pending ??= `${res.name}: data`;
        continue;
      }
      if (!secret) continue;
      if ("malformed" in secret) {
        reportViolation(
          `Pods using ${where} pull anonymously and fail with "401 Unauthorized": the kubelet cannot read it, because ` +
            `${secret.malformed}.\nFix: declare aks-acr-guard's AcrImagePullSecret, or recreate it: kubectl create secret ` +
            "docker-registry <name> --docker-server=<registry>.azurecr.io --docker-username=<username> --docker-password=<password>",
          res.urn,
        );
        continue;
      }
      for (const entry of secret.entries) {
        const registry = registryOfServer(byServer, entry.server);
        if (!registry) continue;
        const problems = judgeEntry(topo, entry, registry, ctx, now);
        if (problems === UNKNOWN) {
          pending ??= `${res.name}: ${entry.server}`;
          continue;
        }
        if (problems.length === 0) continue;
        const name = known(registry.name) ? registry.name : registry.label;
        reportViolation(
          `Pods using ${where} to pull from ${entry.server} will fail with ErrImagePull: "failed to authorize: failed to fetch ` +
            `oauth token: unexpected status: 401 Unauthorized": ${problems.map((p) => explain(p, name)).join("; ")}.\n` +
            "Fix: declare aks-acr-guard's AcrImagePullSecret (it rebuilds the secret from live credentials on every run), or " +
            `pull with the kubelet identity instead: az aks update -g <cluster-group> -n <cluster> --attach-acr ${name}, and ` +
            "remove imagePullSecrets.",
          res.urn,
        );
      }
    }
    if (pending) deferToPreview(pending);
  },
};
