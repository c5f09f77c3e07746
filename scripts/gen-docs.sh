#!/bin/sh
# Replaces the generated key reference in docs/scenario.md (between the
# markers) with the output of `suanli keys`.
# Usage: scripts/gen-docs.sh path/to/suanli docs/scenario.md
set -eu
bin=$1
doc=$2
tmp=$(mktemp "${doc}.XXXXXX")
keys=$(mktemp)
"$bin" keys > "$keys"
awk -v keys="$keys" '
  /<!-- keys:begin -->/ { print; while ((getline line < keys) > 0) print line; skip = 1; next }
  /<!-- keys:end -->/ { skip = 0 }
  !skip { print }
' "$doc" > "$tmp"
rm -f "$keys"
mv "$tmp" "$doc"
