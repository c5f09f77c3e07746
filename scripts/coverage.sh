#!/bin/sh
# Line coverage of the library (src/) by the test suite, with gcc's gcov.
# Builds into build-cov/ with --coverage, runs every test, then prints one
# line per source file and the total.  Usage: scripts/coverage.sh [builddir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$root/build-cov}
if [ "${COVERAGE_REPORT_ONLY:-0}" != 1 ]; then
cmake -S "$root" -B "$bdir" -DCMAKE_BUILD_TYPE=Debug -DSUANLI_WERROR=OFF \
    -DCMAKE_C_FLAGS="--coverage -O0" -DCMAKE_EXE_LINKER_FLAGS="--coverage" >/dev/null
cmake --build "$bdir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
find "$bdir" -name '*.gcda' -delete
(cd "$bdir" && ctest -j "$(nproc 2>/dev/null || echo 2)" >/dev/null) || echo "coverage: some tests failed" >&2
fi
objdir=$(find "$bdir" -path '*suanli_lib.dir*' -type d -name src | head -n 1)
total=0
hit=0
for gcda in $(find "$objdir" -name '*.gcda' | sort); do
    out=$(cd "$(dirname "$gcda")" && gcov -n -o . "$(basename "$gcda")" 2>/dev/null |
        awk -v src="$root/src/" '
            /^File / { f = $2; gsub("\047", "", f); keep = index(f, src) == 1 }
            /^Lines executed:/ && keep { sub("Lines executed:", ""); split($0, a, "% of ");
                printf "%s %d %d\n", substr(f, length(src) + 1), a[2], int(a[1] * a[2] / 100 + 0.5);
                keep = 0 }')
    [ -n "$out" ] || continue
    echo "$out" | while read -r name lines covered; do
        printf '%-36s %5d lines %5.1f %%\n' "$name" "$lines" "$(echo "$covered $lines" | awk '{ print $2 ? 100 * $1 / $2 : 0 }')"
    done
    total=$((total + $(echo "$out" | awk '{ s += $2 } END { print s }')))
    hit=$((hit + $(echo "$out" | awk '{ s += $3 } END { print s }')))
done
echo "$hit $total" | awk '{ printf "src/ total: %d of %d lines, %.1f %%\n", $1, $2, $2 ? 100 * $1 / $2 : 0 }'
