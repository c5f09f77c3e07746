#!/bin/bash
# Bad input through the command line: each case must exit with code 2, print
# one clear message (with file:line:column where there is a file) and leave no
# output behind.  Usage: cli_bad_input.sh path/to/suanli source-dir.
# SUANLI_WRAP, when set, is put before the binary (CI runs this file under
# SUANLI_WRAP="valgrind -q --error-exitcode=99 --leak-check=full ...").
set -u
bin=$1
wrap=${SUANLI_WRAP:-}
. "$(dirname "$0")/harness.sh"
cd "$work"

# expect_bad NAME EXPECTED-REGEX ARGS... : exit 2, stderr matches, no out/.
expect_bad() {
    local name=$1 pattern=$2
    shift 2
    rm -rf out
    $wrap "$bin" "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    local lines
    lines=$(grep -c . stderr.txt)
    if [ "$rc" -ne 2 ]; then
        echo "FAIL $name: exit code $rc, expected 2"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    if ! grep -Eq -- "$pattern" stderr.txt; then
        echo "FAIL $name: message does not match /$pattern/:"; cat stderr.txt
        fail=$((fail + 1)); return
    fi
    if [ -e out ] || ls -a | grep -q '\.tmp\.'; then
        echo "FAIL $name: output left behind"; ls -laR; fail=$((fail + 1)); return
    fi
    if grep -qi -E 'segmentation|sanitizer|abort' stderr.txt; then
        echo "FAIL $name: crash"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    if [ "$lines" -gt 2 ]; then
        echo "FAIL $name: expected one message, got $lines lines"; cat stderr.txt
        fail=$((fail + 1)); return
    fi
    echo "ok   $name: $(head -n 1 stderr.txt)"
    pass=$((pass + 1))
}

printf 'fleet:\n  servers: 16\n' > good.yaml

expect_bad "missing file" "nope.yaml: cannot open scenario file: No such file" run nope.yaml
mkdir adir
expect_bad "directory" "adir: is a directory" run adir
: > empty.yaml
expect_bad "empty file" "empty.yaml: the file is empty" run empty.yaml
printf '# nothing here\n\n' > comments.yaml
expect_bad "comments only" "comments.yaml: the file is empty" run comments.yaml
printf 'fleet:\n  servers: [1, 2\nrun: {}\n' > syntax.yaml
expect_bad "syntax error" "syntax.yaml:[0-9]+:[0-9]+: YAML syntax error" run syntax.yaml
printf 'fleet:\n  servers: 1\n   bad: 2\n' > indent.yaml
expect_bad "bad indentation" "indent.yaml:3:[0-9]+: YAML syntax error" run indent.yaml
printf 'fleet:\n  servers: many\n' > type.yaml
expect_bad "wrong type (text for integer)" "type.yaml:2:12: 'fleet.servers': expected an integer" run type.yaml
printf 'fleet: 12\n' > type2.yaml
expect_bad "wrong type (scalar for section)" "type2.yaml:1:8: 'fleet' expects a mapping" run type2.yaml
printf 'run:\n  duration: [7d]\n' > type3.yaml
expect_bad "wrong type (list for time)" "type3.yaml:2:13: 'run.duration' expects a time" run type3.yaml
printf 'fleet:\n  servres: 12\n' > unknown.yaml
expect_bad "unknown key" "unknown.yaml:2:3: unknown key 'servres' in fleet \(did you mean 'servers'\?\)" run unknown.yaml
printf 'flet:\n  servers: 12\n' > unknown2.yaml
expect_bad "unknown section" "unknown2.yaml:1:1: unknown key 'flet' in the top level \(did you mean 'fleet'\?\)" run unknown2.yaml
printf 'run:\n  duration: 7\n' > nounit.yaml
expect_bad "missing unit" "nounit.yaml:2:13: 'run.duration': missing unit" run nounit.yaml
printf 'run:\n  duration: 7 weeks\n' > badunit.yaml
expect_bad "bad unit" "badunit.yaml:2:13: 'run.duration': unknown time unit 'weeks'" run badunit.yaml
printf 'catalog:\n  cpus:\n    - {name: x, tdp: 5 kV, idle: 1 W}\n' > badunit2.yaml
expect_bad "unit of the wrong kind" "badunit2.yaml:3:22: 'catalog.cpus.0.tdp': unknown power unit 'kV'" run badunit2.yaml
printf 'fleet:\n  servers: 0\n' > zero.yaml
expect_bad "zero count" "zero.yaml:2:12: 'fleet.servers' must be at least 1, got 0" run zero.yaml
printf 'fleet:\n  servers_per_rack: -8\n' > neg.yaml
expect_bad "negative count" "neg.yaml:2:21: 'fleet.servers_per_rack' must be at least 1, got -8" run neg.yaml
printf 'run:\n  duration: -1d\n' > negtime.yaml
expect_bad "negative duration" "negtime.yaml:2:13: 'run.duration' must be greater than 0s" run negtime.yaml
printf 'workload:\n  synthetic:\n    mean: 120 %%\n' > pct.yaml
expect_bad "percentage above 100" "pct.yaml:3:11: 'workload.synthetic.mean' must be at most 100 %" run pct.yaml
printf 'workload:\n  synthetic:\n    noise: -5 %%\n' > pct2.yaml
expect_bad "negative percentage" "pct2.yaml:3:12: 'workload.synthetic.noise' must be at least 0 %" run pct2.yaml
printf 'workload:\n  synthetic:\n    mean: 90 %%\n    amplitude: 20 %%\n' > swing.yaml
expect_bad "diurnal swing out of range" "swing.yaml:4:16: diurnal load mean" run swing.yaml
printf 'fleet:\n  servers: 1\nfleet:\n  servers: 2\n' > dup.yaml
expect_bad "duplicate key" "dup.yaml:3:1: duplicate key 'fleet'" run dup.yaml
printf 'fleet:\n  server: t1080\n' > model.yaml
expect_bad "unknown server model" "model.yaml:2:11: unknown server model 't1080' \(did you mean 't1008'\?\)" run model.yaml
printf 'variants:\n  - name: a\n    set:\n      fleet.servres: 3\n' > var.yaml
expect_bad "unknown key in a variant" "var.yaml:4:7: in variant 'a': unknown key 'servres' in fleet" run var.yaml
printf 'variants:\n  - name: a\n  - name: a\n' > var2.yaml
expect_bad "duplicate variant" "var2.yaml:3:11: duplicate variant name 'a'" run var2.yaml
printf 'run:\n  start: 2025-13-01\n' > date.yaml
expect_bad "bad date" "date.yaml:2:10: 'run.start' expects a date" run date.yaml
expect_bad "override of a missing key" "--set 'fleet.servres=3': unknown key 'servres' in fleet \(did you mean 'servers'\?\)" run good.yaml --set fleet.servres=3
expect_bad "override of a missing section" "--set 'grid.cap=3': unknown key 'grid' in the top level" run good.yaml --set grid.cap=3
expect_bad "override with a bad value" "--set 'fleet.servers=0': 'fleet.servers' must be at least 1" run good.yaml --set fleet.servers=0
expect_bad "override without a value" "missing value after '='" run good.yaml --set fleet.servers=
expect_bad "override without '='" "expected KEY=VALUE" run good.yaml --set fleet.servers
expect_bad "override through a value" "reached through a plain value" run good.yaml --set fleet.servers.x=1
expect_bad "override on the default scenario" "--set 'run.duration=soon'" run --set run.duration=soon
expect_bad "bad seed" "--seed expects a non-negative integer" run good.yaml --seed -4
expect_bad "unknown variant" "--variant x: no such variant; the scenario has: traditional, three-in-one" run --variant x
expect_bad "unknown option" "unknown option '--frobnicate'" run --frobnicate
expect_bad "option without value" "option '--out' needs a value" run good.yaml --out
expect_bad "two scenarios" "more than one scenario" run good.yaml good.yaml
expect_bad "unknown command" "unknown command 'rnu'" rnu
expect_bad "no command" "no command given"
expect_bad "unknown power chain" "unknown power chain 'dc-800' \(did you mean 'dc-800-sst'\?\)" run good.yaml --set facility.power_chain=dc-800
expect_bad "unknown cooling plant" "unknown cooling plant 'immersionn' \(did you mean 'immersion'\?\)" run good.yaml --set facility.cooling=immersionn
expect_bad "missing weather file" "site.weather: nofile.epw: EPW weather file not found" run good.yaml --set site.weather=nofile.epw
printf 'LOCATION,x\n' > bad.epw
expect_bad "malformed weather file" "bad.epw:2:1: .*EPW header" run good.yaml --set site.weather=bad.epw
expect_bad "site without weather or carbon" "site 'beijing' is not built in" run good.yaml --set site.name=beijing
printf 'site:\n  tou:\n    - {from: 8h, to: 8h, price: 1 CNY/kWh}\n' > tou.yaml
expect_bad "empty time-of-use period" "tou.yaml:3:[0-9]+: a time-of-use period must not be empty" run tou.yaml
printf 'catalog:\n  chains:\n    - name: c\n      stages:\n        - {name: vrm, scope: board, efficiency: 90 %%}\n        - {name: ups, scope: facility, efficiency: 95 %%}\n' > chain.yaml
expect_bad "chain stages out of order" "chain.yaml:3:7: power chain 'c': stage 'ups' is at a wider scope" run chain.yaml
printf 'catalog:\n  servers:\n    - {name: s, device: t100, cpu: x86-server, psus: 2, psus_spare: 1, psu_rating: 1 kW}\nfleet: {server: s}\n' > psu.yaml
expect_bad "PSUs too small" "PSUs of 1000 W .* cannot carry" run psu.yaml
printf 'site:\n  grid_cap: 0 MW\n' > cap.yaml
expect_bad "zero grid cap" "cap.yaml:2:13: 'site.grid_cap' must be greater than 0 W" run cap.yaml
expect_bad "check of a bad file" "unknown.yaml:2:3: unknown key 'servres'" check unknown.yaml
expect_bad "sub-microsecond period" "'workload.synthetic.period': time '0.4us' is 0.4 us, not a whole number of microseconds" check --set workload.synthetic.period=0.4us
expect_bad "time beyond the limit" "'run.duration': time '1e8d' is longer than the limit" run --set run.duration=1e8d
expect_bad "seed above 2^53" "'run.seed' must be at most 9007199254740992, got 9007199254740993" check --seed 9007199254740993
expect_bad "override that reads as null" "--set 'fleet.servers=---': 'fleet.servers' needs an integer" run --set fleet.servers=---
printf 'variants:\n  - name: a\n    set:\n      fleet.servers: 2\n      fleet: {servers: 3}\n' > conflict.yaml
expect_bad "conflicting keys in a variant" "conflict.yaml:5:7: in variant 'a': 'set' gives 'fleet' and 'fleet.servers' \(line 4\)" check conflict.yaml
printf 'run: {duration: 30s}\n' > short.yaml
expect_bad "cross-key rule with a default" "short.yaml:1:17: 'run.sample' \(default 1min\) is longer than 'run.duration' \(30s\)" check short.yaml
expect_bad "too many rows" "is 14400000 rows of timeseries.csv, more than the limit of 10000000: raise run.sample" run --set run.duration=10000d
awk 'BEGIN { print "catalog:\n  chains:\n    - name: c\n      stages:"; for (i = 0; i < 17; i++) print "        - {name: s" i ", scope: rack, efficiency: 99 %}"; print "facility: {power_chain: c}" }' > long.yaml
expect_bad "two-key rule at the overridden key" "^suanli: error: --set 'run.duration=30s': 'run.sample' \(1min\) is longer than 'run.duration' \(30s\)" check --set run.duration=30s
expect_bad "17-stage chain" "long.yaml:21:11: power chain 'c' has more than 16 stages of scope rack" check long.yaml
expect_bad "stray argument" "unexpected argument 'x'" version x

summary
