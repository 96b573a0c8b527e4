#!/usr/bin/env bash
# Records a real AKS cluster and ACR registry as an aks-acr-guard world file, to diagnose offline:
#
#   scripts/capture-world.sh -c <cluster-id> -r <registry-id> [-o world.json] [--no-kubernetes] [--include-pull-secrets]
#   aks-acr-guard preview world.json
#
# Reads only: `az graph query` (resources and authorizationresources), `az ad` (a service
# principal's credential end dates), `az acr credential show` (admin passwords, kept as SHA-256
# hashes only), `az acr token list` (repository tokens' expiry, never a password), `az acr manifest
# show` (the platforms of the registry's images the workloads run; a single image's config blob
# through curl) and `kubectl get -o json` (workloads in the current context). Needs az, jq, kubectl.
# Image pull secrets hold credentials: they are left out unless --include-pull-secrets is given.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cluster_id="" registry_id="" out="world.json" kubernetes=1 pull_secrets=0
while [ $# -gt 0 ]; do
  case "$1" in
    -c) cluster_id="${2:-}"; shift 2 ;;
    -r) registry_id="${2:-}"; shift 2 ;;
    -o) out="${2:-}"; shift 2 ;;
    --no-kubernetes) kubernetes=0; shift ;;
    --include-pull-secrets) pull_secrets=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$cluster_id" ] && [ -n "$registry_id" ] || usage
shopt -s nocasematch
[[ "$cluster_id" =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerService/managedClusters/[^/]+$ ]] ||
  { echo "capture-world: -c $cluster_id is not /subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>" >&2; exit 2; }
[[ "$registry_id" =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerRegistry/registries/[^/]+$ ]] ||
  { echo "capture-world: -r $registry_id is not /subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>" >&2; exit 2; }
shopt -u nocasematch
for tool in az jq; do command -v "$tool" >/dev/null || { echo "capture-world: $tool is required" >&2; exit 2; }; done
if [ "$kubernetes" = 1 ] && ! command -v kubectl >/dev/null; then
  echo "capture-world: kubectl not found; recording without Kubernetes objects" >&2
  kubernetes=0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sub_of() { echo "$1" | cut -d/ -f3; }
subs="$(printf '%s\n%s\n' "$(sub_of "$cluster_id")" "$(sub_of "$registry_id")" | sort -u | tr '\n' ' ')"

echo "capture-world: reading the cluster and the registry..." >&2
cluster="$(az graph query --subscriptions $subs --first 1 -o json \
  -q "resources | where id =~ '$cluster_id'" | jq '.data[0]')"
[ "$cluster" != "null" ] || { echo "capture-world: no cluster $cluster_id (or no read access)" >&2; exit 1; }
node_rg="$(echo "$cluster" | jq -r '.properties.nodeResourceGroup // ""')"

# Every resource type the policies read, in the subscriptions of the cluster and the registry.
types="'microsoft.containerservice/managedclusters','microsoft.containerregistry/registries',
'microsoft.compute/virtualmachinescalesets','microsoft.managedidentity/userassignedidentities',
'microsoft.network/virtualnetworks','microsoft.network/privateendpoints','microsoft.network/privatednszones',
'microsoft.network/privatednszones/virtualnetworklinks','microsoft.network/publicipaddresses',
'microsoft.network/natgateways','microsoft.network/azurefirewalls','microsoft.network/firewallpolicies',
'microsoft.network/firewallpolicies/rulecollectiongroups','microsoft.network/networksecuritygroups',
'microsoft.network/routetables','microsoft.network/ipgroups'"
echo "capture-world: az graph query (resources)..." >&2
az graph query --subscriptions $subs --first 1000 -o json \
  -q "resources | where type in~ ($(echo "$types" | tr -d '\n'))" >"$tmp/resources.json"
az graph query --subscriptions $subs --first 1000 -o json \
  -q "resources | where type =~ 'microsoft.network/privatednszones/a' or type =~ 'microsoft.network/privateendpoints/privatednszonegroups'" \
  >"$tmp/dns.json" 2>/dev/null || echo '{"data":[]}' >"$tmp/dns.json"
# The registry's role assignment mode (AcrPull is not honoured in ABAC mode): read at the first API
# version that returns it, since Resource Graph may not. Without it the pack treats the mode as unknown.
echo "capture-world: az rest (the registry's roleAssignmentMode)..." >&2
if mode="$(az rest --method get --url "https://management.azure.com${registry_id}?api-version=2025-05-01-preview" \
  --query properties.roleAssignmentMode -o tsv 2>/dev/null)" && [ -n "$mode" ]; then
  jq --arg id "$registry_id" --arg m "$mode" '.data |= map(if (.id | ascii_downcase) == ($id | ascii_downcase)
    then .properties.roleAssignmentMode = $m else . end)' "$tmp/resources.json" >"$tmp/r.json"
  mv "$tmp/r.json" "$tmp/resources.json"
else
  echo "capture-world: warning: could not read the registry's roleAssignmentMode; the pack will not assume RBAC" >&2
fi
echo "capture-world: az graph query (role assignments)..." >&2
az graph query --subscriptions $subs --first 1000 -o json \
  -q "authorizationresources | where type in~ ('microsoft.authorization/roleassignments','microsoft.authorization/roledefinitions')" \
  >"$tmp/authorization.json"
for f in resources authorization; do
  if [ "$(jq '(.total_records // .count // 0) > (.data | length)' "$tmp/$f.json")" = true ]; then
    echo "capture-world: warning: $f has more than 1000 rows; narrow the subscriptions or page with --skip-token" >&2
  fi
done

extra='[]'
registry_name="$(basename "$registry_id")"
client_id="$(echo "$cluster" | jq -r '.properties.servicePrincipalProfile.clientId // "msi"')"
if [ "$client_id" != "msi" ]; then
  echo "capture-world: az ad (service principal credential end dates, no secrets)..." >&2
  sp="$(az ad sp show --id "$client_id" --query '{id:id,appId:appId,displayName:displayName}' -o json)"
  creds="$(az ad app credential list --id "$client_id" --query '[].{keyId:keyId,displayName:displayName,endDateTime:endDateTime}' -o json 2>/dev/null || echo '[]')"
  extra="$(jq -n --argjson sp "$sp" --argjson creds "$creds" '[{id: ("/servicePrincipals/" + $sp.id), name: $sp.displayName,
    type: "Microsoft.Graph/servicePrincipals", properties: {objectId: $sp.id, appId: $sp.appId, displayName: $sp.displayName,
    passwordCredentials: [$creds[] | . + {source: "application"}]}}]')"
fi
if [ "$(jq --arg id "$registry_id" '[.data[] | select((.id | ascii_downcase) == ($id | ascii_downcase)) | .properties.adminUserEnabled][0] // false' "$tmp/resources.json")" = true ]; then
  echo "capture-world: az acr credential show (admin passwords, kept as SHA-256 hashes)..." >&2
  username="$(az acr credential show -n "$registry_name" --query username -o tsv)"
  hashes="$(az acr credential show -n "$registry_name" --query 'passwords[].value' -o tsv |
    while IFS= read -r pw; do printf 'sha256:%s\n' "$(printf '%s' "$pw" | sha256sum | cut -d' ' -f1)"; done | jq -R . | jq -s .)"
  extra="$(jq -n --argjson extra "$extra" --arg id "$registry_id/credentials/admin" --arg u "$username" --argjson h "$hashes" \
    '$extra + [{id: $id, name: "admin", type: "Microsoft.ContainerRegistry/registries/credentials",
      properties: {username: $u, passwordHashes: $h}}]')"
fi

# Repository-scoped tokens (`az acr token create`): not in Resource Graph. Their expiry only; a
# token's password value is never kept, whatever the CLI returns.
registry_name="$(basename "$registry_id")"
if tokens="$(az acr token list -r "$registry_name" -o json 2>/dev/null)"; then
  echo "capture-world: az acr token list (repository-scoped tokens, expiry only)..." >&2
  extra="$(jq -n --argjson extra "$extra" --argjson t "$tokens" '$extra + [$t[] | {id, name,
    type: "Microsoft.ContainerRegistry/registries/tokens",
    properties: {status: (.status // .properties.status), scopeMapId: (.scopeMapId // .properties.scopeMapId),
      credentials: {passwords: [((.credentials // .properties.credentials).passwords // [])[] | {name, creationTime, expiry}]}}}]')"
fi

echo '{"items":[]}' >"$tmp/kubernetes.json"
if [ "$kubernetes" = 1 ]; then
  echo "capture-world: kubectl get (workloads of context $(kubectl config current-context))..." >&2
  kubectl get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods -A -o json >"$tmp/kubernetes.json"
  if [ "$pull_secrets" = 1 ]; then
    echo "capture-world: warning: --include-pull-secrets: $out will hold registry credentials; keep it private" >&2
    kubectl get secrets -A --field-selector type=kubernetes.io/dockerconfigjson -o json >"$tmp/secrets.json"
    jq -s '{items: (.[0].items + .[1].items)}' "$tmp/kubernetes.json" "$tmp/secrets.json" >"$tmp/k.json"
    mv "$tmp/k.json" "$tmp/kubernetes.json"
  fi
fi

# The platforms (CPU architectures) of the registry's images the workloads run, from their
# manifests: a manifest list names them; a single image's config blob says its own.
login_server="$(jq -r --arg id "$registry_id" '[.data[] | select((.id | ascii_downcase) == ($id | ascii_downcase)) | .properties.loginServer][0] // empty' "$tmp/resources.json")"
if [ -n "$login_server" ]; then
  for image in $(jq -r '[.items[] | .. | objects | select(has("containers")) | (.containers + (.initContainers // []))[]?.image] | unique | .[]' "$tmp/kubernetes.json"); do
    case "$image" in "$login_server"/*) ;; *) continue ;; esac
    ref="${image#"$login_server"/}"
    repo="${ref%%[:@]*}"
    case "$ref" in *@*) reference="${ref#*@}"; sep="@" ;; *:*) reference="${ref##*:}"; sep=":" ;; *) reference=latest; sep=":" ;; esac
    manifest="$(az acr manifest show -r "$registry_name" -n "$repo$sep$reference" -o json 2>/dev/null)" || continue
    platforms="$(echo "$manifest" | jq -c '[.manifests[]?.platform | select(. != null and .os != "unknown") | [.os, .architecture] + (if .variant then [.variant] else [] end) | join("/")]')"
    if [ "$platforms" = "[]" ] && command -v curl >/dev/null; then
      digest="$(echo "$manifest" | jq -r '.config.digest // empty')"
      refresh="$(az acr login -n "$registry_name" --expose-token --query accessToken -o tsv 2>/dev/null)" || refresh=""
      if [ -n "$digest" ] && [ -n "$refresh" ]; then
        access="$(curl -fsS -X POST "https://$login_server/oauth2/token" --data-urlencode grant_type=refresh_token \
          --data-urlencode "service=$login_server" --data-urlencode "scope=repository:$repo:pull" \
          --data-urlencode "refresh_token=$refresh" | jq -r '.access_token // empty')" || access=""
        [ -z "$access" ] || platforms="$(curl -fsSL -H "Authorization: Bearer $access" "https://$login_server/v2/$repo/blobs/$digest" |
          jq -c '[[.os, .architecture] + (if .variant then [.variant] else [] end) | join("/")]')" || platforms="[]"
      fi
    fi
    [ "$platforms" != "[]" ] || continue
    echo "capture-world: az acr manifest show ($repo$sep$reference: $platforms)..." >&2
    extra="$(jq -n --argjson extra "$extra" --arg id "$registry_id" --arg ref "$repo$sep$reference" --arg image "$login_server/$repo$sep$reference" \
      --arg digest "$([ "$sep" = "@" ] && echo "$reference")" --argjson p "$platforms" \
      '$extra + [{id: ($id + "/imagePlatforms/" + ($ref | @uri)), name: $ref, type: "Microsoft.ContainerRegistry/registries/imagePlatforms",
        properties: ({image: $image, platforms: $p} + (if $digest != "" then {digest: $digest} else {} end))}]')"
  done
fi

jq -n --slurpfile r "$tmp/resources.json" --slurpfile d "$tmp/dns.json" --slurpfile a "$tmp/authorization.json" \
  --slurpfile k "$tmp/kubernetes.json" --argjson extra "$extra" --arg c "$cluster_id" --arg g "$registry_id" \
  '{resources: ($r[0].data + $d[0].data + $a[0].data + $extra), kubernetes: $k[0].items,
    config: {clusterId: $c, registryId: $g}}' >"$out"
echo "capture-world: wrote $out ($(jq '.resources | length' "$out") resources, $(jq '.kubernetes | length' "$out") Kubernetes objects; node resource group ${node_rg:-unknown})" >&2
