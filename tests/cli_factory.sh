#!/bin/bash
# `suanli factory` through the command line: bad factory and burnin keys
# exit with code 2 and one message naming file:line:column; a run writes
# factory.json, factory_daily.csv (a header and one row per day) and
# scenario.yaml, the same bytes for the same seed and other bytes for
# another; the table names the bottleneck.  Usage: cli_factory.sh
# path/to/suanli source-dir.
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"

# expect_bad_factory NAME REGEX TEXT: `suanli factory` refuses it (harness
# expect_bad) and writes no output folder.
expect_bad_factory() {
    rm -rf never
    expect_bad "$1" "$2" "$3" factory bad.yaml --out never
    if [ -e never ]; then
        bad "$1: wrote an output folder"
    fi
}

expect_bad_factory "station without cycle time" "bad.yaml:3:7: factory station 'a' has no cycle time" \
    'factory:\n  stations:\n    - name: a\n      machines: 2\n'
expect_bad_factory "negative cycle time" "bad.yaml:4:14: 'factory.stations.0.cycle' must be at least 0" \
    'factory:\n  stations:\n    - name: a\n      cycle: -5min\n'
expect_bad_factory "yield above 1" "bad.yaml:3:37: 'factory.stations.0.yield' must be at most 100 %" \
    'factory:\n  stations:\n    - {name: a, cycle: 1min, yield: 150 %}\n'
expect_bad_factory "zero machines" "bad.yaml:3:40: 'factory.stations.0.machines' must be at least 1" \
    'factory:\n  stations:\n    - {name: a, cycle: 1min, machines: 0}\n'
expect_bad_factory "burn-in longer than the run" "bad.yaml:4:13: burnin.duration \(72 h\) is longer than the factory run" \
    'factory:\n  duration: 2d\nburnin:\n  duration: 72h\n'
expect_bad_factory "unknown key" "bad.yaml:3:17: unknown key 'cylce' .*did you mean 'cycle'" \
    'factory:\n  stations:\n    - {name: a, cylce: 1min}\n'
"$bin" factory --set burnin.slots=0 --out never >/dev/null 2>stderr.txt
check "bad --set exits 2" [ $? -eq 2 ]

cat > line.yaml <<'YAML'
name: line
factory:
  duration: 30d
  warmup: 4d
  stations:
    - {name: assemble, cycle: 5min, dist: lognormal, cv: 0.2}
    - {name: test, cycle: 30min, dist: exponential, machines: 8, staffed: false, yield: 95 %}
    - {name: burn, kind: burnin}
    - {name: pack, cycle: 4min}
YAML
"$bin" factory line.yaml --out a >table.txt 2>err.txt
check "factory run exits 0" [ $? -eq 0 ]
check "factory.json" grep -q '"servers_per_year"' a/factory.json
check "bottleneck key" grep -q '"bottleneck": "assemble"' a/factory.json
check "table names the bottleneck" grep -q 'assemble .*<- bottleneck' table.txt
check "daily csv header" grep -qx 'day,started,shipped,wip_mean,burnin_mean,burnin_max,burnin_kw_mean,burnin_kw_max,burnin_failures,energy_kwh' a/factory_daily.csv
check "one row per day" [ "$(wc -l < a/factory_daily.csv)" -eq 31 ]
check "scenario.yaml" grep -q '^factory:' a/scenario.yaml
check "no work files left" [ -z "$(ls -A . | grep suanli-)" ]
"$bin" factory line.yaml --out b -q 2>>err.txt
check "same seed, same bytes" bash -c 'cmp -s a/factory.json b/factory.json && cmp -s a/factory_daily.csv b/factory_daily.csv'
"$bin" factory line.yaml --out c --seed 2 -q 2>>err.txt
check "another seed, other bytes" bash -c '[ -s c/factory.json ] && ! cmp -s a/factory_daily.csv c/factory_daily.csv'
"$bin" factory scenario-that-is-not-there.yaml --out never >/dev/null 2>&1
check "missing scenario exits 2" [ $? -eq 2 ]
"$bin" factory --bogus >/dev/null 2>&1
check "unknown option exits 2" [ $? -eq 2 ]
"$bin" help factory | grep -q 'factory_daily.csv'
check "help factory" [ $? -eq 0 ]

summary
