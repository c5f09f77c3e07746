#!/bin/bash
# End-to-end runs through the command line: the default scenario's outputs and
# their keys, byte-identical repeats, seeds that matter, energy consistency
# between summary.json and timeseries.csv, help texts, and the check/
# show-default round trip.  Usage: cli_run.sh path/to/suanli source-dir
set -u
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# json_num FILE KEY: the number after "KEY": (first occurrence).
json_num() { grep -m1 "\"$2\":" "$1" | sed -E 's/.*: *([-0-9.eE+]+),?$/\1/'; }

# 1. The default scenario with the default output directory.
"$bin" run -q >run.out 2>run.err
check "default run exits 0" test $? -eq 0
check "default run is quiet with -q" test ! -s run.out
d=out/xinghua-10k
for v in traditional three-in-one; do
    for f in summary.json timeseries.csv scenario.yaml; do
        check "default run wrote $v/$f" test -s "$d/$v/$f"
    done
    s=$d/$v/summary.json
    for k in scenario variant seed sim_seconds cards servers racks it it_mean it_peak; do
        check "$v summary has key '$k'" grep -q "\"$k\":" "$s"
    done
    check "$v summary: 10,240 cards" grep -q '"cards": 10240,' "$s"
    check "$v summary: 1,280 servers" grep -q '"servers": 1280,' "$s"
    check "$v summary: variant name" grep -q "\"variant\": \"$v\"," "$s"
    check "$v summary: 7 days" grep -q '"sim_seconds": 604800,' "$s"
    check "$v timeseries header" test "$(head -n 1 "$d/$v/timeseries.csv" | cut -d, -f1-13)" = \
        "time_s,it_w,it_max_w,util,facility_w,chain_loss_w,cooling_w,aux_w,pue,t_db_c,t_wb_c,silicon_w,headroom_w"
    check "$v timeseries has 10,080 rows" test "$(($(wc -l <"$d/$v/timeseries.csv") - 1))" -eq 10080
done
check "traditional: a loss column per facility stage" \
    test "$(head -n 1 $d/traditional/timeseries.csv | cut -d, -f14-)" = "loss_transformer_w,loss_ups_w,loss_pdu_w"
check "three-in-one: a loss column per facility stage" \
    test "$(head -n 1 $d/three-in-one/timeseries.csv | cut -d, -f14-)" = "loss_sst_w,loss_busway_w"
# Energy balance row by row: facility = IT + chain loss + cooling + aux (to the printed 0.1 W).
check "every row: facility = IT + chain loss + cooling + aux" \
    awk -F, 'NR > 1 { d = $5 - ($2 + $6 + $7 + $8); if (d < 0) d = -d; if (d > 0.25) bad = 1 } END { exit bad }' \
    $d/traditional/timeseries.csv
check "every row: chain loss = sum of stage losses" \
    awk -F, 'NR > 1 { d = $6 - ($14 + $15 + $16); if (d < 0) d = -d; if (d > 0.25) bad = 1 } END { exit bad }' \
    $d/traditional/timeseries.csv
check "traditional: 160 racks" grep -q '"racks": 160,' $d/traditional/summary.json
check "three-in-one: 80 racks" grep -q '"racks": 80,' $d/three-in-one/summary.json
check "comparison.csv has both variants" test "$(grep -c -E '^(traditional|three-in-one),' $d/comparison.csv)" -eq 2
check "no temporary files left" test -z "$(find out -name '.*tmp*')"

# 2. IT energy in the summary equals the sum over the time series.
s=$d/traditional/summary.json
e_sum=$(json_num "$s" it)
e_ts=$(awk -F, 'NR > 1 { prev = $1; if (NR > 2) e += p * ($1 - t0); t0 = $1; p = $2 }
                END { e += p * (604800 - t0); printf "%.9f", e / 3.6e9 }' $d/traditional/timeseries.csv)
check "energy: summary ($e_sum MWh) = time series ($e_ts MWh)" \
    awk -v a="$e_sum" -v b="$e_ts" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d / a < 1e-6) }'
mean=$(json_num "$s" it_mean)
check "mean IT power near 1280 x 4.61 kW (t1008 at 80 %)" \
    awk -v m="$mean" 'BEGIN { exit !(m > 5.85 && m < 5.97) }'

# 3. Exact power with a constant, noise-free load.
"$bin" run -q --variant traditional --out const --set workload.synthetic.shape=constant \
    --set workload.synthetic.noise=0% --set run.duration=1d
s=const/traditional/summary.json
check "constant load: IT power constant (peak = mean = min)" \
    test "$(json_num $s it_mean)" = "$(json_num $s it_peak)" -a "$(json_num $s it_mean)" = "$(json_num $s it_min)"
check "constant load: 1280 x t1008 at 80 % (4.61 kW each)" \
    awk -v m="$(json_num $s it_mean)" 'BEGIN { exit !(m > 5.90 && m < 5.91) }' 

# 3b. A user-defined power chain and cooling plant, used end to end.
cat >custom.yaml <<'YAML'
name: custom
run: {duration: 1d}
fleet: {servers: 64, servers_per_rack: 8}
facility: {power_chain: my-chain, cooling: my-air, aux_load: 0 %}
catalog:
  chains:
    - name: my-chain
      stages:
        - {name: xfmr, scope: facility, indoor: false, redundancy: 2n, loss_no_load: 0.2 %, loss_square: 1 %}
        - name: ups
          scope: facility
          curve: [{load: 10 %, efficiency: 88 %}, {load: 50 %, efficiency: 95 %}, {load: 100 %, efficiency: 96 %}]
        - {name: psu, scope: server, from_server: true}
        - {name: vrm, scope: board, efficiency: 90 %}
  cooling:
    - {name: my-air, kind: air, chw_supply: 15 C, chw_return: 21 C}
YAML
"$bin" run -q custom.yaml --out custom >/dev/null 2>custom.err
check "custom chain and cooling: run succeeds" test $? -eq 0
s=custom/summary.json
check "custom chain: named in the summary" grep -q '"power_chain": "my-chain"' $s
check "custom chain: a loss per stage" bash -c "grep -q '\"xfmr\":' $s && grep -q '\"ups\":' $s"
check "custom chain: stage loss columns" \
    test "$(head -n 1 custom/timeseries.csv | cut -d, -f14-)" = "loss_xfmr_w,loss_ups_w"
check "custom cooling: named in the summary" grep -q '"cooling": "my-air"' $s

# 4. Same seed, same bytes; another seed, other bytes.
"$bin" run -q --set run.duration=2d --out a >/dev/null
"$bin" run -q --set run.duration=2d --out b >/dev/null
check "same seed: byte-identical outputs" diff -r a b
"$bin" run -q --set run.duration=2d --out c --seed 2 >/dev/null
check "other seed: summary differs" bash -c '! cmp -s a/traditional/summary.json c/traditional/summary.json'
check "other seed: time series differs" bash -c '! cmp -s a/traditional/timeseries.csv c/traditional/timeseries.csv'
check "other seed: recorded in summary" grep -q '"seed": 2,' c/traditional/summary.json

# 5. The resolved scenario.yaml repeats the run exactly.
"$bin" run -q a/traditional/scenario.yaml --out again >/dev/null
check "scenario.yaml reruns to identical results" cmp a/traditional/timeseries.csv again/timeseries.csv

# 6. show-default and check.
"$bin" show-default >default.yaml
check "show-default is the shipped scenarios/default.yaml" cmp default.yaml "$2/scenarios/default.yaml"
"$bin" check default.yaml >resolved.yaml 2>check.err
check "check accepts the default" test $? -eq 0
check "check says valid" grep -q "is valid (2 runs)" check.err
"$bin" check default.yaml --variant three-in-one 2>/dev/null | grep -v '^#' >one.yaml
"$bin" check one.yaml 2>/dev/null | grep -v '^#' >two.yaml
check "check output is a fixed point" cmp one.yaml two.yaml
check "check output is fully resolved" grep -q 'change_interval: 15min' one.yaml

# 7. Help and version.
for args in "--help" "help" "help run" "run --help" "run -h" "check --help" "help check" \
    "show-default --help" "catalog --help" "help keys" "version --help"; do
    # shellcheck disable=SC2086
    out=$("$bin" $args 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -q 'Usage' <<<"$out"; then
        ok "'suanli $args' exits 0 with usage"
    else
        bad "'suanli $args' exits 0 with usage (exit $rc)"
    fi
done
check "version" bash -c "'$bin' version | grep -Eq '^suanli [0-9]+\.[0-9]+\.[0-9]+'"
check "catalog lists t1008" bash -c "'$bin' catalog | grep -q t1008"
check "keys prints the reference" bash -c "'$bin' keys | grep -q 'servers_per_rack'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
