/**
 * The `az` commands a violation message offers, built from what the stack knows. Placeholders in
 * angle brackets stand where it does not.
 */
import { known, Known } from "../stack/values";
import { ClusterNode, RegistryNode } from "../stack/topology";

export const KUBELET_401 =
  'ErrImagePull / ImagePullBackOff: "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"';

export function show(v: Known<string> | undefined, placeholder: string): string {
  return known(v) && v.length > 0 ? v : placeholder;
}

export function clusterArgs(c: ClusterNode): string {
  return `-g ${show(c.resourceGroup, "<cluster-resource-group>")} -n ${c.label}`;
}

export function registryRef(r: RegistryNode): string {
  return r.id ? r.id.raw : show(r.name, r.label);
}

export function registryScope(r: RegistryNode): string {
  if (r.id) return r.id.raw;
  const rg = show(r.resourceGroup, "<registry-resource-group>");
  return `$(az acr show -g ${rg} -n ${show(r.name, r.label)} --query id -o tsv)`;
}

export function loginServerOf(r: RegistryNode): string {
  return show(r.loginServer, `${show(r.name, r.label).toLowerCase()}.azurecr.io`);
}
