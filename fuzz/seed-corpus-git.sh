#!/usr/bin/env bash
# Rebuilds the seed corpora of github_parse and gitea_parse from the
# fixtures: two mode bytes, then the fixture body.
#
# github_parse: the event's index in EVENTS of fuzz_targets/github_parse.rs
# (0 push, 1 pull_request, 2 package, 3 registry_package, 4 ping, 6 create),
# then 0 (application/json, the receiver's own key).
# gitea_parse: the event's index in EVENTS of fuzz_targets/gitea_parse.rs
# (0 push, 1 pull_request, 2 create, 4 none), then 0 (both signatures).
#
# The 2048-commit GitHub push is left out: libFuzzer sizes its inputs by
# the largest seed, and that one is 300 KB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# seed CORPUS FIXTURE_DIR FILE EVENT_INDEX
seed() {
  local corpus="$here/corpus/$1" file="$3"
  mkdir -p "$corpus"
  { printf "\\x$(printf '%02x' "$4")\\x00"; cat "$here/../tests/fixtures/$2/$file"; } \
    > "$corpus/seed-${file%.*}"
}

rm -rf "$here/corpus/github_parse" "$here/corpus/gitea_parse"
seed github_parse github ping.json 4
seed github_parse github push-branch.json 0
seed github_parse github push-tag.json 0
seed github_parse github push-branch-deleted.json 0
seed github_parse github pull-request-closed.json 1
seed github_parse github pull-request-opened.json 1
seed github_parse github package-published-container.json 2
seed github_parse github package-published-untagged.json 2
seed github_parse github package-published-npm.json 2
seed github_parse github registry-package-published.json 3
seed github_parse github not-json.txt 0

seed gitea_parse gitea push-branch.json 0
seed gitea_parse gitea push-tag.json 0
seed gitea_parse gitea push-truncated.json 0
seed gitea_parse gitea create-tag.json 2
seed gitea_parse gitea delete-branch.json 4
seed gitea_parse gitea pull-request-closed.json 1
seed gitea_parse gitea pull-request-opened.json 1
seed gitea_parse gitea not-json.txt 0
