/** What aks-sp-secret-valid and aks-sp-secret-expiring share: the fix for a service-principal secret. */

export const SP_SECRET_URL =
  "https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/cannot-pull-image-from-acr-to-aks-cluster#solution-2-make-sure-service-principal-isnt-expired";

export const SP_SECRET_STEPS =
  "Reset the secret and give it to the cluster: `az ad sp credential reset --id <client-id> --query password -o tsv`, then " +
  "`az aks update-credentials -g <group> -n <cluster> --reset-service-principal --service-principal <client-id> --client-secret <secret>`; " +
  "or move the cluster to a managed identity (`az aks update -g <group> -n <cluster> --enable-managed-identity`).";

export { day, spSecretFix } from "../../core/path/identity";
