#!/usr/bin/env bash
# Rebuilds the seed corpus of harbor_parse from the Harbor fixtures: each
# seed is one pick byte (0 = application/json, 1 = application/cloudevents+json,
# as in LABELS of fuzz_targets/harbor_parse.rs) followed by the fixture body.
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
