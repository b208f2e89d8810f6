#!/usr/bin/env bash
# Builds the Helm CLI that the chart tests use, from the release pinned in
# go.mod/go.sum, into a cache directory keyed by those pins. A complete cache
# entry is reused; an interrupted build is redone.
#
# Usage: tests/helm/build.sh
#   env KARGO_WEBHOOK_HELM_CACHE  cache root (default:
#       ${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/helm)
#   env KARGO_WEBHOOK_HELM_JOBS   parallel compile jobs (default: 2)
#
# Progress goes to stderr; the last line on stdout is the directory that holds
# `helm`. (The harness skips this script when KARGO_WEBHOOK_HELM_BIN names a
# directory that already holds a `helm`.)
set -euo pipefail

module_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$module_dir"
log_name=helm
# shellcheck source=../go-binaries.sh
source ../go-binaries.sh

command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build Helm (https://go.dev/dl/)"

helm_module=helm.sh/helm/v4
helm_version="$(pinned_version "$helm_module")"
[ -n "$helm_version" ] || die "go.mod does not pin $helm_module"

jobs="${KARGO_WEBHOOK_HELM_JOBS:-2}"
# Without it `helm version` says only "v4.3"; stamp the release as Helm's
# Makefile does. -s -w: no symbol tables, as in Helm's own release builds.
ldflags="-s -w -X ${helm_module}/internal/version.version=${helm_version}"

key="helm-${helm_version}-$(recipe_hash "$ldflags")"
cache_root="${KARGO_WEBHOOK_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/helm}"
bin_dir="$cache_root/$key"

open_cache "$bin_dir" helm
build_binary "$bin_dir" helm "$helm_module/cmd/helm" "$ldflags" "$jobs"
close_cache "$bin_dir"
