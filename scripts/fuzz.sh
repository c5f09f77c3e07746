#!/bin/sh
# Runs each libFuzzer harness of fuzz/ for a set time (`make fuzz`; CI runs
# it with a short time).
#
#   FUZZ_SECONDS   seconds per harness (default 60)
#   FUZZ_TARGETS   harnesses to run (default: every fuzz/fuzz_*.c but common)
#   FUZZ_BUILD     build folder (default build-fuzz)
#   FUZZ_ARGS      extra libFuzzer flags (e.g. -fork=4, -jobs=4)
#
# Builds the harnesses with clang (-DSUANLI_FUZZ=ON: libFuzzer, ASan and
# UBSan over the library too), then for each harness first replays every
# reproducer in fuzz/regressions/<harness>/ (a finding stays a failure until
# it is fixed), then fuzzes from the committed seeds fuzz/corpus/<harness>/
# with fuzz/<harness>.dict.  New inputs go to $FUZZ_BUILD/corpus/<harness>/
# and crashes to $FUZZ_BUILD/crashes/<harness>/, never into the source tree.
# Every harness runs even when an earlier one failed, so one run reports
# all of them; the script exits non-zero if any reproducer failed or any
# fuzzing run ended on a crash, leak, sanitizer report, timeout or
# round-trip mismatch (libFuzzer's own exit status).
set -eu
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-fuzz}
EXTRA=${FUZZ_ARGS:-}
TARGETS=${FUZZ_TARGETS:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||' | grep -v '^common$')}

command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)" >&2; exit 2; }
# The clang build cannot use -Werror yet (see CMakeLists.txt's warning list).
CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSUANLI_FUZZ=ON \
    -DSUANLI_TESTS=OFF -DSUANLI_WERROR=OFF >/dev/null
for t in $TARGETS; do
    cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" --target "fuzz_$t" >/dev/null
done

# Every error a sanitizer finds stops the process; leaks are reported at
# the end of each input (libFuzzer's -detect_leaks, on by default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The harnesses write their inputs under $TMPDIR; a crash skips their
# clean-up, so the folder is the build's and is emptied here.
export TMPDIR="$PWD/$BUILD/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

status=0

# Weather files are not kept in the repository: the EPW seeds and the EPW
# reproducers are synthetic and generated here, under the build.
rm -rf "$BUILD/seeds" "$BUILD/regressions"
python3 fuzz/gen_epw_corpus.py "$BUILD/seeds/epw" "$BUILD/regressions/epw"

for t in $TARGETS; do
    bin=$BUILD/fuzz/fuzz_$t
    for regress in fuzz/regressions/$t $BUILD/regressions/$t; do
        [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ] || continue
        echo "fuzz: $t: replaying $(ls "$regress" | wc -l) reproducer(s) in $regress"
        # Each reproducer runs in a process of its own so one failure does
        # not hide the next; any failure fails the run at the end.
        for f in "$regress"/*; do
            if ! "$bin" -timeout=20 -rss_limit_mb=2048 "$f" </dev/null >"$BUILD/replay.log" 2>&1; then
                echo "fuzz: $t: FAILS: $f" >&2
                grep -E "ERROR|SUMMARY|ROUND TRIP|fuzz_$t:|runtime error" "$BUILD/replay.log" |
                    head -5 >&2
                status=1
            fi
        done
    done
    seeds=
    for d in fuzz/corpus/$t $BUILD/seeds/$t; do
        [ -d "$d" ] && seeds="$seeds $d"
    done
    work=$BUILD/corpus/$t
    crashes=$BUILD/crashes/$t
    mkdir -p "$work" "$crashes"
    dict=
    [ -f "fuzz/$t.dict" ] && dict=-dict=fuzz/$t.dict
    echo "fuzz: $t: fuzzing for ${SECONDS_EACH}s (corpus $work, crashes $crashes)"
    # shellcheck disable=SC2086  # $dict and $EXTRA are lists of flags
    if ! "$bin" $dict -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 \
        -artifact_prefix="$crashes/" $EXTRA "$work" $seeds </dev/null; then
        echo "fuzz: $t: FAILS: a finding, saved in $crashes/" >&2
        status=1
    fi
done
rm -rf "$TMPDIR"
if [ $status -ne 0 ]; then
    echo "fuzz: FAILED (see the FAILS lines above)" >&2
    exit 1
fi
echo "fuzz: all harnesses ran without a finding"
