#!/bin/sh
# Rewrites the golden summary of tests/test_run.c from the current build:
# runs tests/golden/small.yaml and copies its summary.json over
# tests/golden/small-summary.json.
#
# The golden file is the project's record of what the model computes.  Only
# rewrite it when a change of the results is intended, review the diff key
# by key, and explain every changed number in the commit message.
#
# Usage: scripts/update-golden.sh [path/to/suanli]   (default: build/suanli)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/suanli}
golden=$root/tests/golden/small-summary.json
if [ ! -x "$bin" ]; then
    echo "update-golden: $bin not found; build first (make build) or pass the binary" >&2
    exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run -q "$root/tests/golden/small.yaml" --out "$tmp/out"
cp "$tmp/out/summary.json" "$golden"
cat >&2 <<MSG

************************************************************************
*  REWROTE THE GOLDEN FILE tests/golden/small-summary.json             *
*                                                                      *
*  Review the diff below key by key.  Commit it only if every change   *
*  is intended, and explain each changed number in the commit message. *
************************************************************************

MSG
if git -C "$root" rev-parse >/dev/null 2>&1; then
    git -C "$root" --no-pager diff --stat -- tests/golden/small-summary.json >&2
    git -C "$root" --no-pager diff -- tests/golden/small-summary.json >&2
fi
