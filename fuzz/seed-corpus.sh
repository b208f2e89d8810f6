#!/usr/bin/env bash
# Rebuilds the seed corpora from the Harbor fixtures.
#
# harbor_parse: one pick byte (0 = application/json, 1 =
# application/cloudevents+json, as in LABELS of fuzz_targets/harbor_parse.rs)
# followed by the fixture body.
#
# request_path: three mode bytes (target, Authorization, Content-Type) and
# `target \0 authorization \0 subscriptions \0 body`, as described at the top
# of fuzz_targets/request_path.rs. A few deliveries, each to another
# receiver, with subscriptions, path spellings and credentials to mutate.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../tests/fixtures/harbor"

corpus="$here/corpus/harbor_parse"
mkdir -p "$corpus"
for fixture in "$fixtures"/*.json "$fixtures"/*.txt; do
  name="$(basename "$fixture")"
  case "$name" in
    cloudevents-*) pick='\x01' ;;
    *) pick='\x00' ;;
  esac
  { printf "$pick"; cat "$fixture"; } > "$corpus/seed-${name%.*}"
done

corpus="$here/corpus/request_path"
rm -rf "$corpus"
mkdir -p "$corpus"
# seed NAME MODES TARGET AUTHORIZATION SUBSCRIPTIONS FIXTURE
# MODES are three bytes as printf escapes, e.g. '\x00\x00\x00'.
seed() {
  {
    printf "$2"
    printf '%s\0%s\0%s\0' "$3" "$4" "$5"
    cat "$fixtures/$6"
  } > "$corpus/seed-$1"
}
nginx='harbor.example.com/library/nginx'
seed push-semver '\x00\x00\x00' '' '' \
  "[{\"image\":{\"repoURL\":\"$nginx\",\"constraint\":\">=1.0 <2\"}}]" push-simple.json
seed push-regex '\x01\x00\x03' '' '' \
  "[{\"image\":{\"repoURL\":\"$nginx\",\"allowTagsRegexes\":[\"^1\\\\.\"],\"ignoreTags\":[\"1.0.0\"],\"imageSelectionStrategy\":\"Lexical\"}}]" \
  push-multiple-resources.json
seed push-chart '\x03\x00\x00' '' '' \
  '[{"chart":{"repoURL":"oci://harbor.example.com/charts/podinfo","semverConstraint":"~0.9"}},{"git":{"repoURL":"https://github.com/example/app.git"}}]' \
  push-chart.json
seed cloudevents-digest '\x02\x00\x01' '' '' \
  "[{\"image\":{\"repoURL\":\"$nginx\",\"imageSelectionStrategy\":\"Digest\",\"constraint\":\"latest\"}}]" \
  cloudevents-push-tag.json
seed digest-only '\x00\x00\x02' '' '' '[]' push-digest-only.json
seed other-secret '\x00\x01\x00' '' '' '[]' push-tag.json
seed given-secret '\x00\xff\x00' '' 'Basic ZnV6ejpmdXp6' '[]' push-tag.json
seed suffix '\x04\x00\x00' '/' '' '[]' push-tag.json
seed prefix '\x09\x00\x00' '/' '' '[]' pull.json
seed target '\xff\x00\x00' '/hooks/harbor/../harbor/0?x' '' '[]' pull.json
