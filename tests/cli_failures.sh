#!/bin/bash
# The `failures` section through the command line: bad values exit with
# code 2 and one message naming file:line:column, and a run with failures
# on writes failures.csv and the failures.* and availability.* keys, the
# same bytes for the same seed.  Usage: cli_failures.sh path/to/suanli
# source-dir.
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"


expect_bad "negative rate" "bad.yaml:3:15: 'failures.gpu.rate' must be at least 0" \
    'fleet: {servers: 16}\nfailures:\n  gpu: {rate: -1}\n'
expect_bad "spares below zero" "bad.yaml:3:18: 'failures.spares.card' must be at least 0" \
    'fleet: {servers: 16}\nfailures:\n  spares: {card: -3}\n'
expect_bad "infant shape 0" "bad.yaml:3:22: 'failures.hbm.infant_beta' must be greater than 0" \
    'fleet: {servers: 16}\nfailures:\n  hbm: {infant_beta: 0}\n'
expect_bad "unknown class" "bad.yaml:3:3: unknown key 'gpuu' in failures \(did you mean 'gpu'\?\)" \
    'fleet: {servers: 16}\nfailures:\n  gpuu: {rate: 1}\n'
expect_bad "wear-out shape below 1" "bad.yaml:3:21: 'failures.link.wear_beta' is 0.5" \
    'fleet: {servers: 16}\nfailures:\n  link: {wear_beta: 0.5}\n'

printf 'run: {duration: 20d, sample: 1h}\nfleet: {servers: 128}\nfailures: {enabled: true}\n' > on.yaml
"$bin" run on.yaml --out a -q 2>err.txt
check "run with failures" [ -s a/failures.csv ]
check "failures.csv header" grep -qx 'time_s,class,unit,kind,blast,servers,downtime_s' a/failures.csv
check "summary keys" grep -q '"availability"' a/summary.json
check "events counted" grep -q '"events"' a/summary.json
"$bin" run on.yaml --out b -q 2>>err.txt
check "same seed, same failures.csv" cmp -s a/failures.csv b/failures.csv
"$bin" run on.yaml --out c --seed 2 -q 2>>err.txt
check "another seed, other failures" bash -c '[ -s c/failures.csv ] && ! cmp -s a/failures.csv c/failures.csv'
"$bin" run on.yaml --out d --set failures.enabled=false -q 2>>err.txt
check "failures off: no failures.csv" bash -c '[ -s d/summary.json ] && [ ! -e d/failures.csv ] && ! grep -q availability d/summary.json'

summary
