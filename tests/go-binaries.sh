# Shared by tests/controlplane/build.sh and tests/helm/build.sh, which source
# it: builds Go binaries pinned by a module's go.mod/go.sum into a cache
# directory keyed by those pins and the build recipe. A complete entry is
# reused; an interrupted build is redone; concurrent callers wait for one
# build. Not meant to be run by itself.
#
# The sourcing script sets `log_name` (the prefix of its messages) and runs
# from its module directory.

log() { printf '%s: %s\n' "$log_name" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The version go.mod pins for module $1. Matches `require MOD VERSION` lines
# and `MOD VERSION` inside require blocks.
pinned_version() {
    awk -v mod="$1" '
        $1 == "require" && $2 == mod { print $3; exit }
        $1 == mod { print $2; exit }
    ' go.mod
}

# -mod=readonly: go.sum is committed, the build must not rewrite it (and a
# GOFLAGS=-mod=mod from the caller's environment must not either).
# -buildvcs=false: the binaries must not depend on the state of the checkout.
go_flags=(-trimpath -mod=readonly -buildvcs=false)

# A short hash of go.mod, go.sum, the go flags and the extra recipe text in
# "$@" (ldflags): the cache key changes whenever any of them does.
recipe_hash() {
    printf '%s\n' "${go_flags[*]}" "$@" | cat go.mod go.sum - | sha256sum | cut -c1-16
}

format_seconds() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# open_cache DIR BINARY...: takes DIR's lock (waiting for a build already
# running there), then prints DIR and exits if it holds every BINARY from a
# completed build. Otherwise returns, still holding the lock, to build.
open_cache() {
    local dir="$1"
    shift
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    if ! flock -n 9; then
        log "another build in $dir is running; waiting for it"
        flock 9
    fi
    # Written only after every binary is in place: its absence means "redo".
    if [ -f "$dir/.complete" ]; then
        local binary complete=1
        for binary in "$@"; do
            [ -x "$dir/$binary" ] || complete=0
        done
        if [ "$complete" = 1 ]; then
            log "using cached binaries in $dir"
            printf '%s\n' "$dir"
            exit 0
        fi
    fi
    rm -f "$dir/.complete"
}

# close_cache DIR: marks DIR complete and prints it (the callers' last line).
close_cache() {
    touch "$1/.complete"
    printf '%s\n' "$1"
}

# build_binary DIR NAME PACKAGE LDFLAGS JOBS: builds PACKAGE into DIR/NAME,
# printing the elapsed time every 30 s while it runs.
build_binary() {
    local dir="$1" name="$2" package="$3" ldflags="$4" jobs="$5"
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
    go build "${go_flags[@]}" -p "$jobs" -ldflags="$ldflags" -o "$dir/$name.partial" "$package" || status=$?
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        rm -f "$dir/$name.partial"
        die "building $name failed after $(format_seconds $((SECONDS - started)))"
    fi
    mv -f "$dir/$name.partial" "$dir/$name"
    log "built $name in $(format_seconds $((SECONDS - started)))"
}
