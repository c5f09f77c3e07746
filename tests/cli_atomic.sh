#!/bin/bash
# The output contract of `suanli run` (docs/outputs.md, "Whole-run
# atomicity"): a run killed with SIGKILL at any moment leaves its --out
# folder byte-identical to the previous complete output or to a complete new
# one, never a mix, and the next run removes what the killed one left beside
# it; SIGTERM and SIGINT leave no work file at all; a second run on the same
# --out is refused with exit 2; names that would become unsafe paths are
# rejected with a position before anything runs; an --out too long for the
# path buffers is an error, not a truncated folder.
# Usage: cli_atomic.sh path/to/suanli source-dir
set -u
set -m # background jobs keep SIGINT (without job control bash ignores it)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/harness.sh"
cd "$work"

# A two-variant run long enough to be killed in the middle of; the old and
# the new outputs differ (seeds), so a mix of the two matches neither.
args=(run -q -j 1 --set run.duration=4d --set run.sample=1h)
"$bin" "${args[@]}" --seed 1 --out ref-old || bad "reference run (seed 1)"
t0=$(date +%s.%N)
"$bin" "${args[@]}" --seed 2 --out ref-new || bad "reference run (seed 2)"
t1=$(date +%s.%N)
full=$(echo "$t1 - $t0" | bc)
echo "a run takes $full s"
check "the two references differ" bash -c '! diff -rq ref-old ref-new >/dev/null'

# same DIR REF: DIR holds exactly the files of REF, byte for byte.
same() { [ -d "$1" ] && diff -r "$1" "$2" >/dev/null; }

# no_work DIR: no hidden work file of a run in DIR or below (lock, build
# or old folders beside it, .tmp files inside it).
no_work() { [ -d "$1" ] && [ -z "$(find "$1" -name '.*suanli-*' -o -name '.*.tmp.*' | head -n 1)" ]; }

# started DIR PID: waits (up to 20 s) until run PID has its build folder in
# DIR, so that a signal reaches the run rather than the loader.
started() {
    for _ in $(seq 1000); do
        ls -A "$1" | grep -q -e "^.out.suanli-build-$2-" && return 0
        sleep 0.02
    done
    return 1
}

# SIGKILL at several moments, from the first instants to past the end: --out
# is the previous output or the new one, never a mix.  Each run first
# removes what the killed one before it left beside --out, so at most the
# last one's hidden work folders remain; the run after the last kill cleans
# up and writes the new output.
rm -rf kill && mkdir kill && cp -a ref-old kill/out
for delay in 0.05 0.2 0.5 \
    $(echo "$full * 0.6" | bc) $(echo "$full * 0.9" | bc) $(echo "$full * 1.1" | bc); do
    "$bin" "${args[@]}" --seed 2 --out kill/out &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if same kill/out ref-old; then
        ok "SIGKILL after $delay s: the previous output"
    elif same kill/out ref-new; then
        ok "SIGKILL after $delay s: the new output"
        rm -rf kill/out && cp -a ref-old kill/out
    else
        bad "SIGKILL after $delay s: a mix: $(diff -rq kill/out ref-old | head -n 3)"
    fi
    # Once the killed run had its build folder, it had removed the others.
    if ls -A kill | grep -q -e "^.out.suanli-build-$pid-"; then
        others=$(ls -A kill | grep -v -x -e out -e ".out.suanli-lock" | grep -v -e "-$pid-")
        check "SIGKILL after $delay s: earlier runs' work folders were removed" [ -z "$others" ]
    fi
done
"$bin" "${args[@]}" --seed 2 --out kill/out
check "the run after the SIGKILLs writes the new output" same kill/out ref-new
check "and leaves no work file" no_work kill

# Without a previous output, a killed run leaves none (or the new one).
rm -rf kill && mkdir kill
"$bin" "${args[@]}" --seed 2 --out kill/out &
pid=$!
sleep 0.3
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "SIGKILL without a previous output leaves no --out folder" \
    bash -c '[ ! -e kill/out ] || diff -r kill/out ref-new >/dev/null'
check "and nothing but hidden work folders beside it" \
    bash -c '[ -z "$(ls kill | grep -v -x out)" ]'

# A run killed between the two renames of a swap (where the file system
# cannot exchange two names at once) leaves no --out but the previous output
# aside; the next run puts it back first, so even an interrupted next run
# leaves the previous output.
rm -rf kill && mkdir kill && cp -a ref-old kill/.out.suanli-old-999-0 &&
    cp -a ref-new kill/.out.suanli-build-999-0
"$bin" "${args[@]}" --seed 2 --out kill/out 2>/dev/null &
pid=$!
started kill "$pid"
kill -TERM "$pid"
wait "$pid"
check "a previous output left aside by a killed swap is restored" same kill/out ref-old
check "and the killed run's folders are removed" no_work kill

# SIGTERM and SIGINT: the run stops, removes its build folder and lock, and
# dies of the signal; --out is as before.
for sig in TERM INT; do
    rm -rf kill && mkdir kill && cp -a ref-old kill/out
    "$bin" "${args[@]}" --seed 2 --out kill/out 2>err &
    pid=$!
    started kill "$pid"
    kill -"$sig" "$pid"
    wait "$pid"
    code=$?
    want=$((128 + $(kill -l "$sig")))
    check "SIG$sig: dies of the signal ($code)" [ "$code" = "$want" ]
    check "SIG$sig: --out is the previous output" same kill/out ref-old
    check "SIG$sig: no work file left" no_work kill
    check "SIG$sig: says so" grep -q "interrupted" err
done

# A second run on the same --out while one runs: refused, exit 2.
rm -rf busy && mkdir busy
"$bin" "${args[@]}" --seed 2 --out busy/out &
pid=$!
for _ in $(seq 100); do
    [ -e busy/.out.suanli-lock ] && break
    sleep 0.02
done
"$bin" "${args[@]}" --seed 1 --out busy/out 2>err
code=$?
check "a concurrent run on the same --out exits 2 ($code)" [ "$code" = 2 ]
check "with a message" grep -q "another run is writing to 'busy/out'" err
wait "$pid"
check "the first run still succeeds" same busy/out ref-new
check "and releases its lock" no_work busy
"$bin" "${args[@]}" --seed 1 --out busy/out
check "a run after it replaces the output whole" same busy/out ref-old

# Names that would become unsafe paths: rejected with a position before any
# run, for the scenario's name and for a variant's.
for name in '..' '.' 'a/b' 'comparison.csv' '.hidden'; do
    printf 'name: "%s"\nrun: {duration: 1d}\n' "$name" >s.yaml
    "$bin" run s.yaml -q --out names 2>err
    code=$?
    check "scenario name '$name': exit 2 ($code)" [ "$code" = 2 ]
    check "scenario name '$name': position" grep -q 's.yaml:1:7:' err
    check "scenario name '$name': nothing written" [ ! -e names ] && [ ! -e out ]
    printf 'name: ok\nrun: {duration: 1d}\nvariants:\n  - {name: a}\n  - {name: "%s"}\n' \
        "$name" >v.yaml
    "$bin" run v.yaml -q --out names 2>err
    code=$?
    check "variant name '$name': exit 2 ($code)" [ "$code" = 2 ]
    check "variant name '$name': position" grep -q 'v.yaml:5:12:' err
    check "variant name '$name': nothing written" [ ! -e names ]
done
"$bin" run --set "name=.." -q 2>err
check "--set name=..: exit 2" [ $? = 2 ]
check "--set name=..: nothing written" [ ! -e out ]

# An --out longer than the path buffers is an error, never truncated.
long=$(printf 'd%.0s' $(seq 3000))
"$bin" "${args[@]}" --out "$long" 2>err
check "--out of 3000 characters: exit 2" [ $? = 2 ]
check "--out of 3000 characters: says why" grep -q "too long" err
check "--out of 3000 characters: nothing created" [ -z "$(ls | grep '^ddd')" ]

# A folder holding anything else than suanli outputs is not replaced.
mkdir mine && echo keep >mine/notes.txt
"$bin" "${args[@]}" --out mine 2>err
check "an --out holding foreign files: exit 2" [ $? = 2 ]
check "and left alone" [ "$(ls -A mine)" = notes.txt ]
mkdir odd && touch odd/.tmp.x
"$bin" "${args[@]}" --out odd 2>err
check "an --out holding a stray hidden file: exit 2" [ $? = 2 ]
cp -a ref-old legacy && touch legacy/traditional/.timeseries.csv.tmp.AbC123
"$bin" "${args[@]}" --seed 2 --out legacy
check "an --out holding an old run's temporary file is replaced" same legacy ref-new
"$bin" "${args[@]}" --out . 2>err
check "--out .: exit 2" [ $? = 2 ]

# A run writes only files the loader reserves as names (so no variant
# folder can collide with one).
check "a run writes only reserved names" bash -c \
    '[ -z "$(find ref-new -type f | sed "s|.*/||" | sort -u |
      grep -v -x -e summary.json -e timeseries.csv -e monthly.csv -e scenario.yaml \
               -e comparison.csv -e requests.csv -e jobs.csv -e failures.csv)" ]'

summary
