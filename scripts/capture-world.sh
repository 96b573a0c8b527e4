#!/usr/bin/env bash
# Records AKS clusters and ACR registries, and what a pull between them crosses, as an aks-acr-guard
# world file, to diagnose offline:
#
#   scripts/capture-world.sh -c <cluster-id> -r <registry-id> [--subscriptions <sub>[,<sub>...]] [-o world.json]
#       [--kube-context <cluster-id>=<context>] [--no-kubernetes] [--no-pull-secrets]
#   scripts/capture-world.sh --management-group <group> | --subscriptions <sub>[,<sub>...] [-o world.json]
#       [--kube-context <cluster-id>=<context>]...      (every cluster and registry there, for a fleet report)
#   aks-acr-guard diagnose world.json
#
# Reads only, and pages every query: `az graph query` (resources, resourcecontainers and
# authorizationresources, in the subscriptions named and in every subscription the recorded ids point
# into: a hub's VNet, zone, endpoint or firewall in a connectivity subscription), `az role assignment
# list --include-inherited` (role assignments at management groups above each registry), `az rest`
# (a registry's roleAssignmentMode), `az ad` (service principals' credential end dates), `az acr
# credential show` (admin passwords, as SHA-256 hashes), `az acr token list` (tokens' expiry), `az acr
# manifest show` (image platforms) and `kubectl get -o json` in each cluster's context, checked against
# the API server the cluster record names (the current context for -c when none is given).
#
# The world holds no secret: workloads keep only what the checks read (images, pull policies, pull
# secret names, node selectors, affinities, tolerations, replicas, labels), never env values, commands,
# annotations or ConfigMaps; pull secrets keep server, username and a SHA-256 hash of the password.
# Its `coverage` section says what was read and what could not be (denied, failed, skipped), so the
# pack asks about what it cannot see instead of failing it. Needs az, jq and, for workloads, kubectl.
set -euo pipefail

usage() {
  sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "capture-world: $1" >&2
  exit "${2:-2}"
}

cluster_id="" registry_id="" out="world.json" kubernetes=1 pull_secrets=1 management_group=""
extra_subs=() contexts=()
while [ $# -gt 0 ]; do
  case "$1" in
    -c) cluster_id="${2:-}"; shift 2 ;;
    -r) registry_id="${2:-}"; shift 2 ;;
    -o) out="${2:-}"; shift 2 ;;
    --management-group) management_group="${2:-}"; [ -n "$management_group" ] || usage; shift 2 ;;
    --subscriptions) IFS=', ' read -ra more <<<"${2:-}"; extra_subs+=("${more[@]}"); shift 2 ;;
    --kube-context)
      [[ "${2:-}" == /subscriptions/*=?* ]] || die "--kube-context takes <cluster-id>=<context>, got '${2:-}'"
      contexts+=("$2"); shift 2 ;;
    --no-kubernetes) kubernetes=0; shift ;;
    --no-pull-secrets) pull_secrets=0; shift ;;
    # Pull secrets are recorded by default now, hashed; the flag stays accepted.
    --include-pull-secrets) pull_secrets=1; shift ;;
    *) usage ;;
  esac
done
fleet=0
if [ -z "$cluster_id" ] && [ -z "$registry_id" ]; then
  [ -n "$management_group" ] || [ "${#extra_subs[@]}" -gt 0 ] || usage
  fleet=1
else
  [ -n "$cluster_id" ] && [ -n "$registry_id" ] || usage
  [ -z "$management_group" ] || die "--management-group records a fleet: give it without -c and -r"
  shopt -s nocasematch
  [[ "$cluster_id" =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerService/managedClusters/[^/]+$ ]] ||
    die "-c $cluster_id is not /subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>"
  [[ "$registry_id" =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.ContainerRegistry/registries/[^/]+$ ]] ||
    die "-r $registry_id is not /subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>"
  shopt -u nocasematch
fi
for tool in az jq; do command -v "$tool" >/dev/null || die "$tool is required"; done
if [ "$kubernetes" = 1 ] && ! command -v kubectl >/dev/null; then
  echo "capture-world: kubectl not found; recording without Kubernetes objects" >&2
  kubernetes=0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/failed.jsonl"
: >"$tmp/skipped.jsonl"
: >"$tmp/queries.jsonl"
: >"$tmp/rows.jsonl"
: >"$tmp/authorization.jsonl"
: >"$tmp/subscriptions.jsonl"
: >"$tmp/extra.jsonl"
: >"$tmp/kubernetes.jsonl"

# What could not be read goes into the world's coverage section, and to stderr.
# note_failed READ ERROR [SCOPE READS]: SCOPE is the ARM scope whose READS ("roleAssignments") are
# then missing from the world; the pack does not take their absence for certain.
note_failed() {
  jq -nc --arg read "$1" --arg error "$2" --arg scope "${3:-}" --arg reads "${4:-}" \
    '{read: $read, error: $error} + (if $scope != "" then {scope: $scope, reads: $reads} else {} end)' >>"$tmp/failed.jsonl"
  echo "capture-world: warning: $1 failed: $2" >&2
}
note_skipped() {
  jq -nc --arg read "$1" --arg why "$2" '{read: $read, why: $why}' >>"$tmp/skipped.jsonl"
  echo "capture-world: $1 skipped: $2" >&2
}
first_line() { head -c 400 "$1" | tr '\n' ' '; }
lower() { tr '[:upper:]' '[:lower:]'; }
sha256_hex() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1; }

# graph NAME OUTFILE QUERY SCOPE-ARGS...: every page of a Resource Graph query (1,000 rows a page,
# followed by its skip token), the rows appended to OUTFILE, one JSON object a line.
graph() {
  local name="$1" file="$2" query="$3" token="" pages=0 rows=0 page
  shift 3
  while :; do
    local more=()
    [ -z "$token" ] || more=(--skip-token "$token")
    if ! page="$(az graph query -q "$query" "$@" --first 1000 "${more[@]}" -o json 2>"$tmp/err")"; then
      note_failed "az graph query ($name)" "$(first_line "$tmp/err")"
      return 1
    fi
    pages=$((pages + 1))
    rows=$((rows + $(echo "$page" | jq '.data | length')))
    echo "$page" | jq -c '.data[]' >>"$file"
    token="$(echo "$page" | jq -r '.skip_token // .skipToken // empty')"
    [ -n "$token" ] || break
  done
  jq -nc --arg q "$name" --argjson p "$pages" --argjson r "$rows" '{query: $q, pages: $p, rows: $r}' >>"$tmp/queries.jsonl"
}

# Every resource type the policies read.
types="'microsoft.containerservice/managedclusters','microsoft.containerregistry/registries',
'microsoft.compute/virtualmachinescalesets','microsoft.managedidentity/userassignedidentities',
'microsoft.network/virtualnetworks','microsoft.network/privateendpoints','microsoft.network/privatednszones',
'microsoft.network/privatednszones/virtualnetworklinks','microsoft.network/publicipaddresses',
'microsoft.network/natgateways','microsoft.network/azurefirewalls','microsoft.network/firewallpolicies',
'microsoft.network/firewallpolicies/rulecollectiongroups','microsoft.network/networksecuritygroups',
'microsoft.network/routetables','microsoft.network/ipgroups',
'microsoft.network/privatednszones/a','microsoft.network/privateendpoints/privatednszonegroups'"
resources_query="resources | where type in~ ($(echo "$types" | tr -d '\n'))"

sub_of() { echo "$1" | cut -d/ -f3 | lower; }
# The subscriptions the recorded ids point into.
referenced() {
  jq -r '.. | strings | select(test("^/subscriptions/[^/]+/resourcegroups/"; "i")) | split("/")[2]' "$tmp/rows.jsonl" |
    lower | sort -u | tr '\n' ' '
}
asked=""
pending="$(
  {
    [ -z "$cluster_id" ] || sub_of "$cluster_id"
    [ -z "$registry_id" ] || sub_of "$registry_id"
    for s in "${extra_subs[@]}"; do echo "$s" | lower; done
  } | sort -u | tr '\n' ' '
)"
if [ -n "$management_group" ]; then
  echo "capture-world: az graph query (management group $management_group)..." >&2
  graph "resources in management group $management_group" "$tmp/rows.jsonl" "$resources_query" --management-groups "$management_group" ||
    die "cannot read management group $management_group: check its name and that the identity holds Reader on it" 1
  graph "subscriptions of $management_group" "$tmp/subscriptions.jsonl" \
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'" --management-groups "$management_group" || true
  asked="$(jq -r '.subscriptionId // (.id | split("/")[2])' "$tmp/subscriptions.jsonl" | lower | sort -u | tr '\n' ' ')"
  # A hub outside the management group: followed from the ids like any other.
  pending="$pending $(referenced)"
fi

# The subscriptions the pull crosses: read those asked for, then every subscription the recorded ids
# point into (private endpoints' subnets, peerings' remote VNets, zone groups' zones, firewall
# policies, route tables' next hops, DNS servers' VNets), until no new one appears.
round=0
while :; do
  pending="$(comm -23 <(tr ' ' '\n' <<<"$pending" | grep . | sort -u) <(tr ' ' '\n' <<<"$asked" | grep . | sort -u) | tr '\n' ' ')"
  [ -n "${pending// /}" ] || break
  round=$((round + 1))
  [ "$round" -le 8 ] || { note_skipped "subscriptions $pending" "still new after 8 rounds of following ids"; break; }
  read -ra batch <<<"$pending"
  echo "capture-world: az graph query (resources of ${batch[*]})..." >&2
  graph "resources, round $round" "$tmp/rows.jsonl" "$resources_query" --subscriptions "${batch[@]}" || true
  graph "subscriptions, round $round" "$tmp/subscriptions.jsonl" \
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions'" --subscriptions "${batch[@]}" || true
  asked="$asked $pending"
  pending="$(referenced)"
done
read -ra all_subs <<<"$asked"
[ "${#all_subs[@]}" -gt 0 ] || die "no subscription to read"

# The cluster and the registry asked for must be there: a capture in the wrong subscription, or
# without Reader, records neither.
record_of() { jq -c --arg id "$1" 'select((.id | ascii_downcase) == ($id | ascii_downcase))' "$tmp/rows.jsonl" | head -n 1; }
has_record() { [ -n "$(record_of "$1")" ]; }
if [ "$fleet" = 0 ]; then
  has_record "$cluster_id" || die "no cluster $cluster_id (check the subscription, and that the identity holds Reader on it)" 1
  has_record "$registry_id" || die "no registry $registry_id (check the subscription, and that the identity holds Reader on it)" 1
fi

echo "capture-world: az graph query (role assignments)..." >&2
if ! graph "role assignments" "$tmp/authorization.jsonl" \
  "authorizationresources | where type in~ ('microsoft.authorization/roleassignments','microsoft.authorization/roledefinitions')" \
  --subscriptions "${all_subs[@]}"; then
  for s in "${all_subs[@]}"; do note_failed "role assignments of subscription $s" "see above" "/subscriptions/$s" roleAssignments; done
fi

registries="$(jq -r 'select(.type | ascii_downcase == "microsoft.containerregistry/registries") | .id' "$tmp/rows.jsonl" | sort -u)"
clusters="$(jq -r 'select(.type | ascii_downcase == "microsoft.containerservice/managedclusters") | .id' "$tmp/rows.jsonl" | sort -u)"

for rid in $registries; do
  rname="$(basename "$rid")" rsub="$(sub_of "$rid")"
  # Role assignments above the subscription (management groups, the root): Resource Graph's
  # authorizationresources holds those of the subscriptions only.
  if assignments="$(az role assignment list --scope "$rid" --include-inherited -o json 2>"$tmp/err")"; then
    echo "$assignments" | jq -c '.[] | select(.scope | test("^/providers/"; "i")) | {id, name, type: "microsoft.authorization/roleassignments",
      properties: {principalId, principalType, roleDefinitionId, scope, condition, conditionVersion}}' >>"$tmp/authorization.jsonl"
  else
    note_failed "az role assignment list --scope $rid --include-inherited (role assignments at management groups)" "$(first_line "$tmp/err")" "$rid" roleAssignments
  fi
  # The registry's role assignment mode (AcrPull is not honoured in ABAC mode), at the first API
  # version that returns it: Resource Graph may not.
  if mode="$(az rest --method get --url "https://management.azure.com${rid}?api-version=2025-05-01-preview" \
    --query properties.roleAssignmentMode -o tsv 2>"$tmp/err")" && [ -n "$mode" ]; then
    jq -c --arg id "$rid" --arg m "$mode" 'if (.id | ascii_downcase) == ($id | ascii_downcase)
      then .properties.roleAssignmentMode = $m else . end' "$tmp/rows.jsonl" >"$tmp/r.jsonl"
    mv "$tmp/r.jsonl" "$tmp/rows.jsonl"
  else
    note_failed "az rest GET $rid (roleAssignmentMode)" "$(first_line "$tmp/err"); the pack will not assume RBAC"
  fi
  # Admin passwords as SHA-256 hashes: what a pull secret built from them is compared with.
  if [ "$(record_of "$rid" | jq '.properties.adminUserEnabled // false')" = true ]; then
    echo "capture-world: az acr credential show -n $rname (admin passwords, kept as SHA-256 hashes)..." >&2
    if creds="$(az acr credential show -n "$rname" --subscription "$rsub" -o json 2>"$tmp/err")"; then
      hashes="$(echo "$creds" | jq -r '.passwords[].value' | while IFS= read -r pw; do
        printf 'sha256:%s\n' "$(printf '%s' "$pw" | sha256_hex)"; done | jq -R . | jq -s .)"
      jq -nc --arg id "$rid/credentials/admin" --arg u "$(echo "$creds" | jq -r .username)" --argjson h "$hashes" \
        '{id: $id, name: "admin", type: "Microsoft.ContainerRegistry/registries/credentials", properties: {username: $u, passwordHashes: $h}}' \
        >>"$tmp/extra.jsonl"
    else
      note_skipped "az acr credential show -n $rname" "$(first_line "$tmp/err") (listCredentials is needed to compare pull secrets with the admin password)"
    fi
  fi
  # Repository-scoped tokens: not in Resource Graph. Their expiry only, never a password value.
  if tokens="$(az acr token list -r "$rname" --subscription "$rsub" -o json 2>"$tmp/err")"; then
    echo "$tokens" | jq -c '.[] | {id, name, type: "Microsoft.ContainerRegistry/registries/tokens",
      properties: {status: (.status // .properties.status), scopeMapId: (.scopeMapId // .properties.scopeMapId),
        credentials: {passwords: [((.credentials // .properties.credentials).passwords // [])[] | {name, creationTime, expiry}]}}}' \
      >>"$tmp/extra.jsonl"
  else
    note_skipped "az acr token list -r $rname" "$(first_line "$tmp/err")"
  fi
done

# Service principal clusters: the credential end dates of each, never a secret.
for cid in $clusters; do
  client_id="$(record_of "$cid" | jq -r '.properties.servicePrincipalProfile.clientId // "msi"')"
  [ "$client_id" != "msi" ] || continue
  echo "capture-world: az ad (service principal $client_id: credential end dates, no secrets)..." >&2
  if sp="$(az ad sp show --id "$client_id" --query '{id:id,appId:appId,displayName:displayName}' -o json 2>"$tmp/err")"; then
    creds="$(az ad app credential list --id "$client_id" --query '[].{keyId:keyId,displayName:displayName,endDateTime:endDateTime}' -o json 2>/dev/null || echo '[]')"
    jq -nc --argjson sp "$sp" --argjson creds "$creds" '{id: ("/servicePrincipals/" + $sp.id), name: $sp.displayName,
      type: "Microsoft.Graph/servicePrincipals", properties: {objectId: $sp.id, appId: $sp.appId, displayName: $sp.displayName,
      passwordCredentials: [$creds[] | . + {source: "application"}]}}' >>"$tmp/extra.jsonl"
  else
    note_skipped "az ad sp show --id $client_id" "$(first_line "$tmp/err")"
  fi
done

# Workloads, reduced to what the checks read; pull secrets to server, username and password hash.
# shellcheck disable=SC2016 # a jq program: its $names are jq's
REDACT='
  def keep($o; $keys): $o | with_entries(select(.key as $k | $keys | index($k)) | select(.value != null));
  def container: keep(.; ["name", "image", "imagePullPolicy"]);
  def podspec: keep(.; ["nodeSelector", "affinity", "tolerations", "imagePullSecrets", "serviceAccountName", "nodeName", "os", "runtimeClassName"])
    + ({containers: [.containers[]? | container], initContainers: [.initContainers[]? | container],
        ephemeralContainers: [.ephemeralContainers[]? | container]} | with_entries(select(.value != [])));
  def template: {metadata: keep(.metadata // {}; ["labels"]), spec: (.spec // {} | podspec)};
  def meta: keep(.metadata; ["name", "namespace", "uid", "labels", "ownerReferences", "creationTimestamp"])
    + {annotations: {"aks-acr-guard.io/cluster": $cluster}};
  {apiVersion, kind, metadata: meta} +
  if .kind == "Pod" then {spec: (.spec | podspec), status: {phase: .status.phase,
      containerStatuses: [.status.containerStatuses[]? | {name, image, imageID, waiting: .state.waiting.reason}]}}
  elif .kind == "CronJob" then {spec: {schedule: .spec.schedule, jobTemplate: {spec: {template: (.spec.jobTemplate.spec.template | template)}}}}
  else {spec: (keep(.spec; ["replicas", "selector", "parallelism", "completions"]) + {template: (.spec.template | template)})} end'
api_host() { sed -E 's#^[a-z]+://##; s#[:/].*$##' | lower; }
capture_kubernetes() {
  local cid="$1" ctx="$2" server hosts
  server="$(kubectl config view -o json | jq -r --arg c "$ctx" \
    '(.contexts[] | select(.name == $c) | .context.cluster) as $cl | .clusters[] | select(.name == $cl) | .cluster.server' | head -n 1)"
  [ -n "$server" ] || die "kube context '$ctx' is not in the kubeconfig (kubectl config get-contexts)"
  hosts="$(record_of "$cid" | jq -r '.properties | .fqdn, .privateFQDN, .azurePortalFQDN | strings' | lower)"
  grep -qxF "$(echo "$server" | api_host)" <<<"$hosts" ||
    die "kube context '$ctx' talks to $(echo "$server" | api_host), not to cluster $cid ($(echo "$hosts" | tr '\n' ' ')); pass --kube-context $cid=<its context> (az aks get-credentials)"
  echo "capture-world: kubectl get (workloads of $(basename "$cid") in context $ctx)..." >&2
  if ! kubectl --context "$ctx" get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods -A -o json >"$tmp/k.json" 2>"$tmp/err"; then
    note_failed "kubectl --context $ctx get workloads" "$(first_line "$tmp/err")"
    return 0
  fi
  jq -c --arg cluster "$cid" ".items[] | $REDACT" "$tmp/k.json" >>"$tmp/kubernetes.jsonl"
  [ "$pull_secrets" = 1 ] || return 0
  if ! kubectl --context "$ctx" get secrets -A --field-selector type=kubernetes.io/dockerconfigjson -o json >"$tmp/s.json" 2>"$tmp/err"; then
    note_skipped "kubectl --context $ctx get secrets" "$(first_line "$tmp/err") (pull secrets are not judged)"
    return 0
  fi
  capture_pull_secrets "$cid" <"$tmp/s.json" >>"$tmp/kubernetes.jsonl"
}
# A pull secret as the kubelet reads it, with each password replaced by its SHA-256 hash and an Entra
# token by its expiry; one the kubelet cannot parse keeps only that it cannot.
capture_pull_secrets() {
  local cid="$1" list
  list="$(cat)"
  echo "$list" | jq -r '.items | to_entries[] | .key as $i | .value.data[".dockerconfigjson"] // "" | @base64d
    | (try fromjson catch null) | objects | .auths | objects | to_entries[]
    | [$i, .key, ((.value.password // ((.value.auth // "") | try @base64d catch "" | split(":")[1:] | join(":"))) | @base64)] | @tsv' |
    while IFS=$'\t' read -r i server password; do
      printf '%s\t%s\tsha256:%s\n' "$i" "$server" "$(printf '%s' "$password" | base64 -d | sha256_hex)"
    done >"$tmp/hashes.tsv"
  echo "$list" | jq -c --arg cluster "$cid" --rawfile hashes "$tmp/hashes.tsv" '
    ($hashes | split("\n") | map(select(. != "") | split("\t") | {key: (.[0] + " " + .[1]), value: .[2]}) | from_entries) as $h
    | def jwtexp: split(".") | if length == 3 then .[1] | gsub("-"; "+") | gsub("_"; "/") | (. + ("=" * ((4 - length % 4) % 4)))
        | try (@base64d | fromjson | .exp | todate) catch null else null end;
    .items | to_entries[] | .key as $i | .value
    | (.data[".dockerconfigjson"] // "" | try @base64d catch null) as $text
    | ($text | try fromjson catch null) as $json
    | {apiVersion: "v1", kind: "Secret", type: .type,
       metadata: {name: .metadata.name, namespace: .metadata.namespace, annotations: {"aks-acr-guard.io/cluster": $cluster}}}
    + if .data[".dockerconfigjson"] == null then {data: {}}
      elif $text == null then {data: {".dockerconfigjson": "!"}}
      else {stringData: {".dockerconfigjson": (
         if ($json | type) != "object" then "not JSON (recorded by capture-world.sh)"
         elif ($json.auths | type) != "object" then ($json | {auths} | tojson)
         else {auths: ($json.auths | to_entries | map(.key as $s | .value as $v
           | (($v.auth // "") | try @base64d catch null) as $pair
           | {key: $s, value: (
               if ($v.password == null) and ($v.auth != null) and (($pair // "") | contains(":") | not) then {auth: "!"}
               else {username: ($v.username // ($pair // "" | split(":")[0])), passwordHash: $h[($i | tostring) + " " + $s]}
                 + (($v.password // ($pair // "" | split(":")[1:] | join(":"))) | jwtexp | if . then {tokenExpires: .} else {} end)
               end)}) | from_entries)} | tojson end)}} end'
}
if [ "$kubernetes" = 1 ]; then
  if [ "${#contexts[@]}" -eq 0 ] && [ "$fleet" = 0 ]; then
    contexts=("$cluster_id=$(kubectl config current-context)")
  fi
  for pair in "${contexts[@]}"; do
    cid="${pair%%=*}" ctx="${pair#*=}"
    [ -n "$(record_of "$cid")" ] || die "--kube-context names cluster $cid, which the capture did not record"
    capture_kubernetes "$cid" "$ctx"
  done
  for cid in $clusters; do
    printf '%s\n' "${contexts[@]}" | grep -qi "^$cid=" || note_skipped "kubectl (workloads of $cid)" "no --kube-context for it"
  done
fi

# The platforms (CPU architectures) of the registries' images the workloads run, from their
# manifests: a manifest list names them; a single image's config blob says its own.
for rid in $registries; do
  rname="$(basename "$rid")" rsub="$(sub_of "$rid")"
  login_server="$(record_of "$rid" | jq -r '.properties.loginServer // empty')"
  [ -n "$login_server" ] || continue
  for image in $(jq -r '.. | objects | select(has("containers")) | (.containers + (.initContainers // []))[]?.image' "$tmp/kubernetes.jsonl" | sort -u); do
    case "$image" in "$login_server"/*) ;; *) continue ;; esac
    ref="${image#"$login_server"/}"
    repo="${ref%%[:@]*}"
    case "$ref" in *@*) reference="${ref#*@}"; sep="@" ;; *:*) reference="${ref##*:}"; sep=":" ;; *) reference=latest; sep=":" ;; esac
    manifest="$(az acr manifest show -r "$rname" -n "$repo$sep$reference" --subscription "$rsub" -o json 2>/dev/null)" || continue
    platforms="$(echo "$manifest" | jq -c '[.manifests[]?.platform | select(. != null and .os != "unknown") | [.os, .architecture] + (if .variant then [.variant] else [] end) | join("/")]')"
    if [ "$platforms" = "[]" ] && command -v curl >/dev/null; then
      digest="$(echo "$manifest" | jq -r '.config.digest // empty')"
      refresh="$(az acr login -n "$rname" --subscription "$rsub" --expose-token --query accessToken -o tsv 2>/dev/null)" || refresh=""
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
    jq -nc --arg id "$rid" --arg ref "$repo$sep$reference" --arg image "$login_server/$repo$sep$reference" \
      --arg digest "$([ "$sep" = "@" ] && echo "$reference")" --argjson p "$platforms" \
      '{id: ($id + "/imagePlatforms/" + ($ref | @uri)), name: $ref, type: "Microsoft.ContainerRegistry/registries/imagePlatforms",
        properties: ({image: $image, platforms: $p} + (if $digest != "" then {digest: $digest} else {} end))}' >>"$tmp/extra.jsonl"
  done
done

readable="$(jq -r '.subscriptionId // (.id | split("/")[2])' "$tmp/subscriptions.jsonl" | lower | sort -u | tr '\n' ' ')"
jq -n --slurpfile rows "$tmp/rows.jsonl" --slurpfile subs "$tmp/subscriptions.jsonl" --slurpfile auth "$tmp/authorization.jsonl" \
  --slurpfile extra "$tmp/extra.jsonl" --slurpfile k "$tmp/kubernetes.jsonl" --slurpfile q "$tmp/queries.jsonl" \
  --slurpfile failed "$tmp/failed.jsonl" --slurpfile skipped "$tmp/skipped.jsonl" \
  --arg c "$cluster_id" --arg g "$registry_id" --arg mg "$management_group" --arg asked "$asked" --arg readable "$readable" \
  --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '
  ($readable | split(" ") | map(select(. != ""))) as $read
  # Each record once, in the order read (a page boundary or two rounds may repeat one).
  | {resources: (reduce ($rows + $subs + $auth + $extra)[] as $r ({seen: {}, out: []};
       ($r.id | ascii_downcase) as $key | if .seen[$key] then . else .seen[$key] = true | .out += [$r] end) | .out),
     kubernetes: $k,
     config: (if $c != "" then {clusterId: $c, registryId: $g} else {} end),
     coverage: {capturedAt: $at, managementGroup: (if $mg != "" then $mg else null end),
       subscriptions: [$asked | split(" ")[] | select(. != "") | {id: ., read: (. as $s | $read | index($s) != null)}] | unique_by(.id),
       queries: $q, failed: $failed, skipped: $skipped}}' >"$out"
echo "capture-world: wrote $out ($(jq '.resources | length' "$out") resources, $(jq '.kubernetes | length' "$out") Kubernetes objects, $(jq '[.coverage.subscriptions[] | select(.read | not)] | length' "$out") subscriptions unread, $(jq '.coverage.failed + .coverage.skipped | length' "$out") reads failed or skipped)" >&2
