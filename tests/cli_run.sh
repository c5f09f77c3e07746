#!/bin/bash
# End-to-end runs through the command line: the default scenario's outputs and
# their keys, byte-identical repeats (also with variants on one or two
# threads), seeds that matter, energy consistency between summary.json and
# timeseries.csv, the datetime column, monthly.csv, the printed comparison
# table, help texts, and the check/show-default round trip.
# Usage: cli_run.sh path/to/suanli source-dir
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"

# json_num FILE KEY: the number after "KEY": (first occurrence).
json_num() { grep -m1 "\"$2\":" "$1" | sed -E 's/.*: *([-0-9.eE+]+),?$/\1/'; }

# json_in FILE SECTION KEY: the number of KEY inside the object SECTION.
json_in() { sed -n "/^  \"$2\": {/,/^  }/p" "$1" | json_num /dev/stdin "$3"; }

# loss_columns CSV: the names of its loss_<stage>_w columns, comma-separated.
loss_columns() { head -n 1 "$1" | tr , '\n' | grep -E '^loss_.*_w$' | paste -sd, -; }

# col CSV NAME: the 1-based index of column NAME.
col() { head -n 1 "$1" | tr , '\n' | grep -n -x -m1 "$2" | cut -d: -f1; }

# datetime_ok CSV START: every row's datetime is START (YYYY-MM-DD[THH:MM:SS])
# plus time_s, computed with days-to-civil in awk from date's epoch of START.
datetime_ok() {
    local t0
    t0=$(date -u -d "${2/T/ }" +%s) || return 1
    awk -F, -v t0="$t0" '
        NR == 1 { if ($1 != "time_s" || $2 != "datetime") bad = 1; next }
        {
            t = t0 + $1; z = int(t / 86400); s = t - z * 86400
            z += 719468; era = int((z >= 0 ? z : z - 146096) / 146097); doe = z - era * 146097
            yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
            doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
            d = doy - int((153 * mp + 2) / 5) + 1; m = mp < 10 ? mp + 3 : mp - 9
            y = yoe + era * 400 + (m <= 2)
            want = sprintf("%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, int(s / 3600),
                           int(s % 3600 / 60), s % 60)
            if ($2 != want) { print "row " NR ": " $2 ", expected " want > "/dev/stderr"; bad = 1; exit }
        }
        END { exit bad }' "$1"
}

# same_tree A B: the same files under A and B, each byte-identical (cmp).
same_tree() {
    local f
    [ "$(cd "$1" && find . -type f | sort)" = "$(cd "$2" && find . -type f | sort)" ] || {
        echo "different file lists under $1 and $2" >&2
        return 1
    }
    [ -n "$(find "$1" -type f)" ] || return 1
    while IFS= read -r f; do
        cmp "$1/$f" "$2/$f" || return 1
    done < <(cd "$1" && find . -type f)
}

# 1. The default scenario with the default output directory.
"$bin" run -q >run.out 2>run.err
check "default run exits 0" test $? -eq 0
check "default run is quiet with -q" test ! -s run.out
d=out/xinghua-10k
for v in traditional three-in-one; do
    for f in summary.json timeseries.csv monthly.csv scenario.yaml; do
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
    check "$v timeseries header" test "$(head -n 1 "$d/$v/timeseries.csv" | cut -d, -f1-16)" = \
        "time_s,datetime,it_w,it_max_w,util,facility_w,chain_loss_w,cooling_w,aux_w,pue,t_db_c,t_wb_c,silicon_w,headroom_w,over_cap_s,fabric_w"
    check "$v timeseries has 10,080 rows" test "$(($(wc -l <"$d/$v/timeseries.csv") - 1))" -eq 10080
    check "$v timeseries: datetime = run.start + time_s on every row" datetime_ok "$d/$v/timeseries.csv" 2025-07-01
    check "$v timeseries: first and last datetime" \
        test "$(sed -n '2p;$p' "$d/$v/timeseries.csv" | cut -d, -f2 | paste -sd' ' -)" = \
        "2025-07-01T00:00:00 2025-07-07T23:59:00"
    check "$v monthly.csv: header and one row, 2025-07, 168 hours" \
        test "$(cut -d, -f1-2 "$d/$v/monthly.csv" | paste -sd' ' -)" = "month,hours 2025-07,168.000"
    check "$v summary: monthly.rows 1" grep -q '"rows": 1$' "$s"
done
check "traditional: a loss column per facility stage" \
    test "$(loss_columns $d/traditional/timeseries.csv)" = "loss_transformer_w,loss_ups_w,loss_pdu_w"
check "three-in-one: a loss column per facility stage" \
    test "$(loss_columns $d/three-in-one/timeseries.csv)" = "loss_sst_w,loss_busway_w"
# Energy balance row by row: facility = IT + chain loss + cooling + aux (to the printed 0.1 W).
ts=$d/traditional/timeseries.csv
check "every row: facility = IT + chain loss + cooling + aux" \
    awk -F, -v f="$(col $ts facility_w)" -v i="$(col $ts it_w)" -v c="$(col $ts chain_loss_w)" \
    -v k="$(col $ts cooling_w)" -v a="$(col $ts aux_w)" \
    'NR > 1 { d = $f - ($i + $c + $k + $a); if (d < 0) d = -d; if (d > 0.25) bad = 1 } END { exit bad }' $ts
check "every row: chain loss = sum of stage losses" \
    awk -F, -v c="$(col $ts chain_loss_w)" -v l1="$(col $ts loss_transformer_w)" \
    -v l2="$(col $ts loss_ups_w)" -v l3="$(col $ts loss_pdu_w)" \
    'NR > 1 { d = $c - ($l1 + $l2 + $l3); if (d < 0) d = -d; if (d > 0.25) bad = 1 } END { exit bad }' $ts
check "traditional: 160 racks" grep -q '"racks": 160,' $d/traditional/summary.json
check "three-in-one: 80 racks" grep -q '"racks": 80,' $d/three-in-one/summary.json
check "comparison.csv has both variants" test "$(grep -c -E '^(traditional|three-in-one),' $d/comparison.csv)" -eq 2
check "no temporary files left" test -z "$(find out -name '.*tmp*')"

# 2. IT energy in the summary equals the sum over the time series.
s=$d/traditional/summary.json
e_sum=$(json_num "$s" it)
e_ts=$(awk -F, 'NR > 1 { if (NR > 2) e += p * ($1 - t0); t0 = $1; p = $3 }
                END { e += p * (604800 - t0); printf "%.9f", e / 3.6e9 }' $d/traditional/timeseries.csv)
check "energy: summary ($e_sum MWh) = time series ($e_ts MWh)" \
    awk -v a="$e_sum" -v b="$e_ts" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d / a < 1e-6) }'
check "default: the chat and code services report tokens" \
    bash -c "grep -q '\"chat\":' $s && grep -q '\"code\":' $s && grep -q '\"tokens_per_kwh\":' $s"

# 2b. Without services the synthetic load runs: 80 % mean utilisation.
# The servers alone (no network fabric), none of them failing, in 2b and 3.
"$bin" run -q --variant traditional --out synth --set 'workload.inference=[]' --set 'workload.training={}' --set power.policy=none \
    --set fleet.fabric.kind=none --set failures.enabled=false
mean=$(json_num synth/traditional/summary.json it_mean)
check "synthetic: mean IT power near 1280 x 4.61 kW (t1008 at 80 %)" \
    awk -v m="$mean" 'BEGIN { exit !(m > 5.85 && m < 5.97) }'

# 3. Exact power with a constant, noise-free load.
"$bin" run -q --variant traditional --out const --set 'workload.inference=[]' --set 'workload.training={}' --set power.policy=none \
    --set workload.synthetic.shape=constant \
    --set workload.synthetic.noise=0% --set run.duration=1d --set fleet.fabric.kind=none \
    --set failures.enabled=false
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
    test "$(loss_columns custom/timeseries.csv)" = "loss_xfmr_w,loss_ups_w"
check "custom cooling: named in the summary" grep -q '"cooling": "my-air"' $s

# 4. Same seed, same bytes; another seed, other bytes (the synthetic load is
# random; the default's flow-fidelity services are not).
"$bin" run -q --set run.duration=2d --out a --set 'workload.inference=[]' --set 'workload.training={}' --set power.policy=none >/dev/null
"$bin" run -q --set run.duration=2d --out b --set 'workload.inference=[]' --set 'workload.training={}' --set power.policy=none >/dev/null
check "same seed: byte-identical outputs" diff -r a b
"$bin" run -q --set run.duration=2d --out c --seed 2 --set 'workload.inference=[]' --set 'workload.training={}' --set power.policy=none >/dev/null
check "other seed: summary differs" bash -c '! cmp -s a/traditional/summary.json c/traditional/summary.json'
check "other seed: time series differs" bash -c '! cmp -s a/traditional/timeseries.csv c/traditional/timeseries.csv'
check "other seed: recorded in summary" grep -q '"seed": 2,' c/traditional/summary.json

# 4b. Variants on threads: -j 1 and -j 2 write the same bytes, and so do two
# runs with the same seed; the printed comparison table.
cat >two.yaml <<'YAML'
name: two
run: {duration: 2d, start: 2025-03-30}
fleet: {servers: 64}
variants:
  - name: air
    set: {facility.power_chain: ac-2n-ups, facility.cooling: air-chilled-water}
  - name: liquid
    set: {facility.power_chain: dc-800-sst, facility.cooling: liquid-cold-plate, fleet.servers_per_rack: 16}
YAML
"$bin" run two.yaml -j 1 --out j1 >j1.out 2>j1.err
check "two variants, -j 1: run succeeds" test $? -eq 0
"$bin" run two.yaml -j 2 --out j2 >j2.out 2>j2.err
check "two variants, -j 2: run succeeds" test $? -eq 0
"$bin" run -q two.yaml -j 2 --out j2b >/dev/null 2>&1
check "-j 1 and -j 2: every output file byte-identical" same_tree j1 j2
check "same seed twice (-j 2): every output file byte-identical" same_tree j2 j2b
check "-j 1 and -j 2: the same printed lines (but the folder)" \
    cmp <(sed 's# j1/# OUT/#' j1.out) <(sed 's# j2/# OUT/#' j2.out)
check "two variants: a folder each and comparison.csv" \
    test -s j2/air/summary.json -a -s j2/liquid/summary.json -a -s j2/comparison.csv
check "comparison.csv: header and a row per variant, in set order" \
    test "$(cut -d, -f1 j2/comparison.csv | paste -sd' ' -)" = "variant air liquid"
# The table: a header, a units line under it, a row per variant.
hdr=$(grep -n -m1 '^variant ' j2.out | cut -d: -f1)
check "table: a header line" test -n "$hdr"
units=$(sed -n "$((${hdr:-1} + 1))p" j2.out)
check "table: a units line under the header (kW, MW, MWh, CNY, h)" \
    bash -c "grep -Eq '^ +kW +MW +MW +MW( +)MWh +CNY +t +h +tok/s +tok/kWh +Gtok +PFLOP +tok/s/MW +PFLOP/s/MW *$' <<<'$units'"
check "table: a row per variant" \
    test "$(sed -n "$((${hdr:-1} + 2)),\$p" j2.out | awk '{ print $1 }' | paste -sd' ' -)" = "air liquid"
# 64 servers for 2 days cost thousands of CNY and carry thousands of cards at the cap.
check "table: thousands separators" \
    bash -c "sed -n '$((${hdr:-1} + 2))p' j2.out | grep -Eq ' [0-9]{1,3},[0-9]{3}( |$)'"
check "comparison.csv: plain numbers, 19 columns and the variant on every line" \
    awk -F, 'NF != 20 { exit 1 }' j2/comparison.csv
# monthly.csv across months: 40 days from January 25 are three calendar months.
"$bin" run -q --variant air two.yaml --set run.duration=40d --set run.start=2025-01-25 \
    --set run.sample=1h --out months >/dev/null 2>&1
m=months/air/monthly.csv
check "monthly.csv: one row per calendar month (Jan, Feb, Mar)" \
    test "$(cut -d, -f1 $m | paste -sd' ' -)" = "month 2025-01 2025-02 2025-03"
check "monthly.csv: hours 7 x 24, 28 x 24, 5 x 24" \
    test "$(cut -d, -f2 $m | paste -sd' ' -)" = "hours 168.000 672.000 120.000"
check "monthly.csv: facility MWh sums to the summary's" \
    awk -F, -v e="$(json_in months/air/summary.json energy_mwh facility)" \
    'NR > 1 { s += $4 } END { d = s - e; if (d < 0) d = -d; exit !(d <= 0.0005 * (NR - 1) + 1e-9 * e) }' $m
check "timeseries across months: datetime = run.start + time_s" \
    datetime_ok months/air/timeseries.csv 2025-01-25

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

summary
