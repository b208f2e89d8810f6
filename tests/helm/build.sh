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

log() { printf 'helm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build Helm (https://go.dev/dl/)"

# Matches `require MOD VERSION` lines and `MOD VERSION` inside require blocks.
pinned_version() {
    awk -v mod="$1" '
        $1 == "require" && $2 == mod { print $3; exit }
        $1 == mod { print $2; exit }
    ' go.mod
}
helm_module=helm.sh/helm/v4
helm_version="$(pinned_version "$helm_module")"
[ -n "$helm_version" ] || die "go.mod does not pin $helm_module"

jobs="${KARGO_WEBHOOK_HELM_JOBS:-2}"
# -mod=readonly: go.sum is committed, the build must not rewrite it.
# -buildvcs=false: the binary must not depend on the state of the checkout.
go_flags=(-trimpath -mod=readonly -buildvcs=false)
# Without it `helm version` says only "v4.3"; stamp the release as Helm's
# Makefile does. -s -w: no symbol tables, as in Helm's own release builds.
ldflags="-s -w -X ${helm_module}/internal/version.version=${helm_version}"

# The key covers the pins and the build recipe, so changing either builds anew.
pins_hash="$(printf '%s\n' "${go_flags[*]}" "$ldflags" | cat go.mod go.sum - | sha256sum | cut -c1-16)"
key="helm-${helm_version}-${pins_hash}"

cache_root="${KARGO_WEBHOOK_HELM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kargo-webhook-gateway/helm}"
bin_dir="$cache_root/$key"
# Written only after the binary is in place: its absence means "redo".
marker="$bin_dir/.complete"

mkdir -p "$bin_dir"
# Several test binaries may ask at once; later ones wait for the first build.
exec 9>"$bin_dir/.lock"
if ! flock -n 9; then
    log "another build of $key is running; waiting for it"
    flock 9
fi

if [ -f "$marker" ] && [ -x "$bin_dir/helm" ]; then
    log "using cached helm in $bin_dir"
    printf '%s\n' "$bin_dir"
    exit 0
fi
rm -f "$marker"

format_seconds() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

started=$SECONDS
log "building helm $helm_version with $jobs jobs; a cold build takes a few minutes"
# Prints the elapsed time every 30 s; short sleeps and a check that this
# script still runs keep it from outliving the build.
(
    ticks=0
    while sleep 1 && kill -0 $$ 2>/dev/null; do
        ticks=$((ticks + 1))
        if [ $((ticks % 30)) -eq 0 ]; then
            log "  still building helm: $(format_seconds $((SECONDS - started)))"
        fi
    done
) >/dev/null &
ticker=$!
status=0
go build "${go_flags[@]}" -p "$jobs" -ldflags="$ldflags" -o "$bin_dir/helm.partial" "$helm_module/cmd/helm" || status=$?
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
if [ "$status" -ne 0 ]; then
    rm -f "$bin_dir/helm.partial"
    die "building helm failed after $(format_seconds $((SECONDS - started)))"
fi
mv -f "$bin_dir/helm.partial" "$bin_dir/helm"
touch "$marker"
log "built helm $helm_version in $(format_seconds $((SECONDS - started))): $bin_dir"
printf '%s\n' "$bin_dir"
