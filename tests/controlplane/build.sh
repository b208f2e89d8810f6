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

log() { printf 'controlplane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build etcd and kube-apiserver (https://go.dev/dl/)"

# The versions a human reads in the directory name; the hash is what keys it.
# Matches `require MOD VERSION` lines and `MOD VERSION` inside require blocks.
pinned_version() {
    awk -v mod="$1" '
        $1 == "require" && $2 == mod { print $3; exit }
        $1 == mod { print $2; exit }
    ' go.mod
}
k8s_version="$(pinned_version k8s.io/kubernetes)"
etcd_version="$(pinned_version go.etcd.io/etcd/server/v3)"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || die "go.mod does not pin k8s.io/kubernetes and go.etcd.io/etcd/server/v3"

jobs="${KARGO_WEBHOOK_CONTROLPLANE_JOBS:-2}"
# -mod=readonly: go.sum is committed, the build must not rewrite it (and a
# GOFLAGS=-mod=mod from the caller's environment must not either).
# -buildvcs=false: the binaries must not depend on the state of the checkout.
go_flags=(-trimpath -mod=readonly -buildvcs=false)
# A plain `go build` leaves the API server reporting version
# v0.0.0-master, which clients such as Helm refuse; stamp the pinned release
# the way Kubernetes' own build does.
k8s_minor="${k8s_version#v*.}"
k8s_minor="${k8s_minor%%.*}"
version_pkg=k8s.io/component-base/version
apiserver_ldflags="-X ${version_pkg}.gitVersion=${k8s_version} -X ${version_pkg}.gitMajor=1"
apiserver_ldflags+=" -X ${version_pkg}.gitMinor=${k8s_minor} -X ${version_pkg}.gitTreeState=clean"

# The key covers the pins and the build recipe, so changing either builds anew.
pins_hash="$(printf '%s\n' "${go_flags[*]}" "$apiserver_ldflags" | cat go.mod go.sum - | sha256sum | cut -c1-16)"
key="k8s-${k8s_version}-etcd-${etcd_version}-${pins_hash}"

cache_root="${KARGO_WEBHOOK_CONTROLPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/controlplane}"
bin_dir="$cache_root/$key"
# Written only after both binaries are in place: its absence means "redo".
marker="$bin_dir/.complete"

mkdir -p "$bin_dir"
# Two test binaries may ask at once; the second waits for the first's build.
exec 9>"$bin_dir/.lock"
if ! flock -n 9; then
    log "another build of $key is running; waiting for it"
    flock 9
fi

if [ -f "$marker" ] && [ -x "$bin_dir/etcd" ] && [ -x "$bin_dir/kube-apiserver" ]; then
    log "using cached binaries in $bin_dir"
    printf '%s\n' "$bin_dir"
    exit 0
fi
rm -f "$marker"

format_seconds() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Builds one binary, printing the elapsed time every 30 s while it runs.
build_one() {
    local name="$1" package="$2" ldflags="$3"
    local started=$SECONDS
    log "building $name ($package) with $jobs jobs; a cold build takes several minutes"
    # Short sleeps, and a check that this script still runs, so that the
    # ticker never outlives the build by more than a second.
    (
        local ticks=0
        while sleep 1 && kill -0 $$ 2>/dev/null; do
            ticks=$((ticks + 1))
            if [ $((ticks % 30)) -eq 0 ]; then
                log "  still building $name: $(format_seconds $((SECONDS - started)))"
            fi
        done
    ) >/dev/null &
    local ticker=$!
    local status=0
    go build "${go_flags[@]}" -p "$jobs" -ldflags="$ldflags" -o "$bin_dir/$name.partial" "$package" || status=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        rm -f "$bin_dir/$name.partial"
        die "building $name failed after $(format_seconds $((SECONDS - started)))"
    fi
    mv -f "$bin_dir/$name.partial" "$bin_dir/$name"
    log "built $name in $(format_seconds $((SECONDS - started)))"
}

total_started=$SECONDS
build_one etcd ./cmd/etcd ""
build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$apiserver_ldflags"
touch "$marker"
log "control plane binaries ready in $(format_seconds $((SECONDS - total_started))): $bin_dir"
printf '%s\n' "$bin_dir"
