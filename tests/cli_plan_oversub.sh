#!/bin/bash
# Oversubscription in a POLCA-like setting (issue 10, part 3): an
# inference-only center whose load scales with its servers (one 8-card
# replica per server, 0.6 requests/s per server) under a dynamic power
# policy, on hot July days at Xinghua.  The worst-case count W is the
# summary's fleet.servers_worst_case (full load in the worst hour fits the
# cap).  With 15 % more servers than W the center has no sustained
# violation, meets the SLO (attainment >= 0.99) and serves more tokens
# than with W; with 30 % more it still has no sustained violation and
# serves more again, at a lower SLO attainment (>= 0.9: the `priority`
# policy has only one class of work to cap here; docs/model.md, "Compute
# per locked MW and oversubscription").  Also checks
# fleet.oversubscription and the compute per locked MW.
# Usage: cli_plan_oversub.sh path/to/suanli source-dir
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"

policy=priority
cat >os.yaml <<YAML
name: oversub
run: {duration: 3d, sample: 60s, start: 2025-07-15}
site: {name: xinghua, grid_cap: 500 kW}
fleet: {servers: 64, servers_per_rack: 8, server: t1008}
facility: {power_chain: ac-2n-ups, cooling: air-chilled-water}
power: {policy: $policy}
workload:
  inference:
    - name: chat
      model: qwen2.5-72b
      tp: 8
      replicas: 64
      weights: int8
      kv: int8
      fidelity: flow
      slo: {ttft: 2s, tpot: 100ms}
      requests:
        arrival: poisson
        rate: 38.4/s
        diurnal: 25 %
        peak_time: 15h
        prompt_tokens: lognormal(6.633, 0.985, max=14050)
        output_tokens: lognormal(5.019, 0.859, max=1000)
YAML

# key FILE DOTTED-KEY: a number of summary.json.
key() {
    python3 -c "import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): v=v[k]
print(v)" "$1" "$2"
}
# run N: the center with N servers, N replicas and 0.6 N requests/s.
run() {
    "$bin" run os.yaml --set fleet.servers="$1" --set workload.inference.0.replicas="$1" \
        --set workload.inference.0.requests.rate="$(python3 -c "print(0.6 * $1)")/s" \
        --out "n$1" -q
}
run 64
check "a probe run" [ $? -eq 0 ]
W=$(key n64/summary.json fleet.servers_worst_case)
check "the worst-case count is found" [ "$W" -gt 10 ]
check "... and the oversubscription is installed / worst case - 1" \
    python3 -c "import sys; sys.exit(abs($(key n64/summary.json fleet.oversubscription) - (64 / $W - 1)) > 1e-9)"
check "compute per locked MW is tokens/s over the cap in MW" \
    python3 -c "import sys; sys.exit(abs($(key n64/summary.json compute.tokens_per_s_per_mw) - $(key n64/summary.json inference.tokens_per_s) / 0.5) > 1e-6)"
N15=$(python3 -c "import math; print(math.ceil(1.15 * $W))")
N30=$(python3 -c "import math; print(math.ceil(1.30 * $W))")
run "$W" && run "$N15" && run "$N30"
check "the three runs" [ $? -eq 0 ]
tok() { key "n$1/summary.json" inference.tokens_per_s; }
for n in "$W" "$N15" "$N30"; do
    check "$n servers: the manager ran ($policy)" [ "$(key n$n/summary.json power.policy)" = "$policy" ]
    check "$n servers: no sustained violation" [ "$(key n$n/summary.json power.violations)" = 0 ]
done
check "+15 %: at SLO (>= 0.99)" python3 -c "import sys; sys.exit(not $(key n$N15/summary.json inference.slo_attainment) >= 0.99)"
check "+15 %: at least 10 % more tokens than at the worst-case count" \
    python3 -c "import sys; sys.exit(not $(tok "$N15") >= 1.10 * $(tok "$W"))"
check "+30 %: SLO attainment >= 0.9" python3 -c "import sys; sys.exit(not $(key n$N30/summary.json inference.slo_attainment) >= 0.9)"
check "+30 %: more tokens than +15 %" python3 -c "import sys; sys.exit(not $(tok "$N30") > $(tok "$N15"))"
check "+30 %: the oversubscription is reported" \
    python3 -c "import sys; sys.exit(not $(key n$N30/summary.json fleet.oversubscription) >= 0.30)"
echo "worst case $W: tokens/s $(tok "$W"); +15 % ($N15): $(tok "$N15"); +30 % ($N30): $(tok "$N30")"

summary
