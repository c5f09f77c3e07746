#!/bin/bash
# Issue 9, heterogeneous fleets: a scenario with two pools of different
# server models runs, its summary has per-pool keys, its resolved scenario
# loads back and reruns byte for byte, the IT energy of a two-pool fleet
# under a constant synthetic load is the sum of the two pools run alone,
# and a service on a training-only pool is refused at its key.
# Usage: cli_pools.sh path/to/suanli source-dir
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"

# json_num FILE KEY: the number after "KEY": (first occurrence).
json_num() { grep -m1 "\"$2\":" "$1" | sed -E 's/.*: *([-0-9.eE+]+),?$/\1/'; }
# pool_num FILE POOL KEY: KEY inside fleet.pools.POOL.
pool_num() { sed -n "/^      \"$2\": {/,/^      }/p" "$1" | json_num /dev/stdin "$3"; }
# close A B: A and B agree to 1e-9 relative.
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
                                           exit !(a != "" && d <= 1e-9 * m) }'; }

cat >two.yaml <<'EOF'
name: two-pools
run: {duration: 30min, sample: 5min}
fleet:
  pools:
    - {name: infer, server: hgx-h100, servers: 2, servers_per_rack: 4, use: inference}
    - {name: bulk, server: t1008, servers: 3, servers_per_rack: 2}
workload:
  inference:
    - name: chat
      model: qwen2.5-7b
      replicas: 16
      requests: {rate: 20/s, prompt_tokens: "lognormal(6.6, 1.0, max=8000)", output_tokens: "lognormal(5.0, 0.8, max=2000)"}
EOF
"$bin" run two.yaml --out out >/dev/null 2>run.err
check "a two-pool scenario with a service runs" [ $? -eq 0 ]
check "fleet.cards is the sum over pools" [ "$(json_num out/summary.json cards)" = 40 ]
check "fleet.racks: racks never mix pools" [ "$(json_num out/summary.json racks)" = 3 ]
check "pool infer: 16 cards" [ "$(pool_num out/summary.json infer cards)" = 16 ]
check "pool bulk: 3 servers in 2 racks" \
    [ "$(pool_num out/summary.json bulk servers)" = 3 -a "$(pool_num out/summary.json bulk racks)" = 2 ]
check "the service is in the summary" grep -q '"chat"' out/summary.json
"$bin" run two.yaml --set workload.inference.0.pool=bulk --out bulk >/dev/null 2>&1
check "the same service on the other pool runs" [ $? -eq 0 ]
# The h100 cards of pool infer serve faster than the t100 cards of bulk.
tpot() { sed -n '/"chat": {/,$p' "$1" | json_num /dev/stdin tpot_mean_s; }
check "... and its pool's device sets its speed" \
    awk -v a="$(tpot out/summary.json)" -v b="$(tpot bulk/summary.json)" 'BEGIN { exit !(a != "" && b != "" && a + 0 < b + 0) }'
check "the resolved scenario has the pools, not the shorthand" \
    sh -c 'grep -q "^  pools:" out/scenario.yaml && ! grep -q "^  servers: [0-9]" out/scenario.yaml'
"$bin" run out/scenario.yaml --out again >/dev/null 2>&1
check "the resolved scenario reruns" [ $? -eq 0 ]
check "the rerun is byte-identical" cmp -s out/summary.json again/summary.json
check "the rerun's time series is byte-identical" cmp -s out/timeseries.csv again/timeseries.csv

cat >syn.yaml <<'EOF'
name: syn
run: {duration: 2h, sample: 10min}
workload: {synthetic: {shape: constant, mean: 60 %, noise: 0 %}}
fleet:
  fabric: {kind: none} # the servers' power adds up; a shared fabric would not
  pools:
    - {name: a, server: hgx-h100, servers: 3, servers_per_rack: 2}
    - {name: b, server: t1008, servers: 5, servers_per_rack: 4}
EOF
"$bin" run syn.yaml --out ab >/dev/null 2>&1 &&
    "$bin" run syn.yaml --set 'fleet.pools=[{name: a, server: hgx-h100, servers: 3, servers_per_rack: 2}]' \
        --out a >/dev/null 2>&1 &&
    "$bin" run syn.yaml --set 'fleet.pools=[{name: b, server: t1008, servers: 5, servers_per_rack: 4}]' \
        --out b >/dev/null 2>&1
check "the two pools and each alone run" [ $? -eq 0 ]
it_sum=$(awk -v x="$(json_num a/summary.json it)" -v y="$(json_num b/summary.json it)" \
    'BEGIN { printf "%.15g", x + y }')
check "IT energy of two pools = the sum of each alone" close "$(json_num ab/summary.json it)" "$it_sum"
design_sum=$(awk -v x="$(json_num a/summary.json it_design)" -v y="$(json_num b/summary.json it_design)" \
    'BEGIN { printf "%.15g", x + y }')
check "design IT power of two pools = the sum" close "$(json_num ab/summary.json it_design)" "$design_sum"
check "racks of two pools = the sum" [ "$(json_num ab/summary.json racks)" = 4 ]

cat >bad.yaml <<'EOF'
fleet:
  pools:
    - {name: train, server: t1008, servers: 2, use: training}
    - {name: infer, server: t1008, servers: 2}
workload:
  inference:
    - {name: chat, model: qwen2.5-7b, pool: train, requests: {rate: 1/s, prompt_tokens: 100, output_tokens: 10}}
EOF
"$bin" check bad.yaml >/dev/null 2>bad.err
check "a service on a training pool is refused" [ $? -ne 0 ]
check "... at its key" grep -q "bad.yaml:7:45: .*pool 'train' is reserved for training" bad.err

summary
