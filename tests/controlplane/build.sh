#!/usr/bin/env bash
# Builds the etcd and kube-apiserver that the tests and the local run use, from
# the versions pinned in go.mod/go.sum, into a cache directory keyed by those
# pins. A complete cache entry is reused; an interrupted build is redone.
#
# Usage: tests/controlplane/build.sh
#   env KARGO_WEBHOOK_CONTROLPLANE_CACHE  cache root (default:
#       ${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/controlplane)
#   env KARGO_WEBHOOK_CONTROLPLANE_JOBS   parallel compile jobs (default: 2)
#
# Progress goes to stderr; the last line on stdout is the directory that holds
# `etcd` and `kube-apiserver`.
set -euo pipefail

module_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$module_dir"
log_name=controlplane
# shellcheck source=../go-binaries.sh
source ../go-binaries.sh

command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build etcd and kube-apiserver (https://go.dev/dl/)"

# The versions a human reads in the directory name; the hash is what keys it.
k8s_version="$(pinned_version k8s.io/kubernetes)"
etcd_version="$(pinned_version go.etcd.io/etcd/server/v3)"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || die "go.mod does not pin k8s.io/kubernetes and go.etcd.io/etcd/server/v3"

jobs="${KARGO_WEBHOOK_CONTROLPLANE_JOBS:-2}"
# A plain `go build` leaves the API server reporting version
# v0.0.0-master, which clients such as Helm refuse; stamp the pinned release
# the way Kubernetes' own build does.
k8s_minor="${k8s_version#v*.}"
k8s_minor="${k8s_minor%%.*}"
version_pkg=k8s.io/component-base/version
apiserver_ldflags="-X ${version_pkg}.gitVersion=${k8s_version} -X ${version_pkg}.gitMajor=1"
apiserver_ldflags+=" -X ${version_pkg}.gitMinor=${k8s_minor} -X ${version_pkg}.gitTreeState=clean"

key="k8s-${k8s_version}-etcd-${etcd_version}-$(recipe_hash "$apiserver_ldflags")"
cache_root="${KARGO_WEBHOOK_CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/controlplane}"
bin_dir="$cache_root/$key"

open_cache "$bin_dir" etcd kube-apiserver
total_started=$SECONDS
build_binary "$bin_dir" etcd ./cmd/etcd "" "$jobs"
build_binary "$bin_dir" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$apiserver_ldflags" "$jobs"
log "control plane binaries ready in $(format_seconds $((SECONDS - total_started)))"
close_cache "$bin_dir"
