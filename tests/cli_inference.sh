#!/bin/bash
# Inference services through the command line: bad `workload.inference`
# input is refused before the run (exit 2, one message with file:line:col,
# no output left behind); output.requests writes requests.csv with one row
# per completed request; `suanli check` of a scenario with services prints
# YAML that checks back to the same text.
# Usage: cli_inference.sh path/to/suanli source-dir.
# SUANLI_WRAP, when set, is put before the binary (as in cli_bad_input.sh).
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
    if [ "$rc" -ne 2 ]; then
        echo "FAIL $name: exit code $rc, expected 2"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    if ! grep -Eq -- "$pattern" stderr.txt; then
        echo "FAIL $name: message does not match /$pattern/:"; cat stderr.txt
        fail=$((fail + 1)); return
    fi
    if [ -e out ] || ls -a | grep -q '\.tmp\.'; then
        echo "FAIL $name: output left behind"; ls -la; fail=$((fail + 1)); return
    fi
    if grep -qi -E 'segmentation|sanitizer|abort' stderr.txt; then
        echo "FAIL $name: crash"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    if [ "$(grep -c . stderr.txt)" -gt 2 ]; then
        echo "FAIL $name: expected one message"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    echo "ok   $name: $(head -n 1 stderr.txt)"
    pass=$((pass + 1))
}

# service FILE SERVERS LINES...: a scenario of one service "chat" on SERVERS
# t1008 servers (8 cards each); LINES are its keys, one per argument, each
# written with the service's indentation.
service() {
    local file=$1 servers=$2
    shift 2
    {
        printf 'name: inf\nrun: {duration: 10min, sample: 1min}\nfleet: {servers: %s}\n' "$servers"
        printf 'workload:\n  inference:\n    - name: chat\n'
        local l
        for l in "$@"; do printf '      %s\n' "$l"; done
    } >"$file"
}

gen='requests: {rate: 2/s, prompt_tokens: "100", output_tokens: "10"}'

# ---- Bad input. ----

service model.yaml 1 'model: qwen2.5-7bb' "$gen"
expect_bad "unknown model, with a suggestion" \
    "model.yaml:7:14: unknown model 'qwen2.5-7bb' \(did you mean 'qwen2.5-7b'\?\)" run model.yaml

service tp.yaml 1 'model: qwen2.5-7b' 'tp: 3' "$gen"
expect_bad "tp that does not divide the server's cards" \
    "tp.yaml:8:11: .*tp 3 does not divide the 8 cards" run tp.yaml

service fit.yaml 1 'model: llama3-405b' 'tp: 1' 'weights: fp16' "$gen"
expect_bad "model that does not fit (llama3-405b fp16 on one t100)" \
    "fit.yaml:7:14: .*llama3-405b.*does not fit on 1 x 't100'" run fit.yaml

service replicas.yaml 2 'model: qwen2.5-7b' 'replicas: 17' "$gen"
expect_bad "more replicas than cards" \
    "replicas.yaml:8:17: .*17 replicas x tp 1 need 17 cards, but the fleet has 16" run replicas.yaml

service law.yaml 1 'model: qwen2.5-7b' \
    'requests: {rate: 2/s, prompt_tokens: "lognormal(6.6)", output_tokens: "10"}'
expect_bad "bad token law" "law.yaml:8:[0-9]+: .*lognormal" run law.yaml

service law2.yaml 1 'model: qwen2.5-7b' \
    'requests: {rate: 2/s, prompt_tokens: "100", output_tokens: "normal(5, 1)"}'
expect_bad "unknown token law" "law2.yaml:8:[0-9]+: " run law2.yaml

service missing.yaml 1 'model: qwen2.5-7b' 'requests: {trace: nope.csv}'
expect_bad "missing trace file" "missing.yaml:8:[0-9]+: .*nope.csv: no such trace file" \
    run missing.yaml

printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n' >badrow.csv
printf '2023-11-16 18:15:46.5,321,40\n2023-11-16 18:15:47.5,abc,40\n' >>badrow.csv
service row.yaml 1 'model: qwen2.5-7b' 'requests: {trace: badrow.csv}'
expect_bad "malformed trace row (file:line)" "badrow.csv:3:[0-9]+: ContextTokens 'abc'" run row.yaml

printf '{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [0]}\n' >bad.jsonl
printf '{"timestamp": 5, "input_length": 10, "output_length": -5, "hash_ids": [1]}\n' >>bad.jsonl
service row2.yaml 1 'model: qwen2.5-7b' 'requests: {trace: bad.jsonl}'
expect_bad "malformed Mooncake row (file:line)" "bad.jsonl:2:[0-9]+: " run row2.yaml

service norate.yaml 1 'model: qwen2.5-7b' 'requests: {prompt_tokens: "100", output_tokens: "10"}'
expect_bad "generated requests without a rate" "norate.yaml:8:[0-9]+: .*requests.rate" \
    run norate.yaml

printf '0,1.5,2.0,Gamma,0.25,2.6\n600,0,0,,0,0\n' >rates.csv
service ratetrace.yaml 1 'model: qwen2.5-7b' \
    'requests: {trace: rates.csv, rate: 3/s, prompt_tokens: "100", output_tokens: "10"}'
expect_bad "a rate with a rate trace" "ratetrace.yaml:8:[0-9]+: .*rate trace sets its own" \
    run ratetrace.yaml

service nolaw.yaml 1 'model: qwen2.5-7b' 'requests: {rate: 2/s}'
expect_bad "generated requests without token laws" "nolaw.yaml:[0-9]+:[0-9]+: " run nolaw.yaml

# check refuses what run refuses
expect_bad "check: unknown model" "model.yaml:7:14: unknown model" check model.yaml

# ---- requests.csv. ----

# Two services: generated chat requests, and a three-row trace replayed once
# with chunked prefill on tp 2 (all three complete well within the run).
printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n' >three.csv
printf '2023-11-16 18:15:46.68,321,40\n2023-11-16 18:15:47.68,500,1\n' >>three.csv
printf '2023-11-16 18:15:49.00,120,300\n' >>three.csv
cat >svc.yaml <<'EOF'
name: svc
run: {duration: 10min, sample: 1min}
fleet: {servers: 2}
output: {requests: true}
workload:
  inference:
    - name: chat
      model: qwen2.5-7b
      replicas: 8
      weights: int8
      kv: int8
      requests: {rate: 5/s, prompt_tokens: "lognormal(6.6, 1.0, max=8000)", output_tokens: "lognormal(5.0, 0.8, max=2000)"}
    - name: replay
      model: qwen2.5-7b
      replicas: 4
      tp: 2
      router: least-tokens
      chunked_prefill: true
      requests: {trace: three.csv, tile: false}
      slo: {ttft: 1s, tpot: 40ms}
EOF

# json_num FILE KEY: the number after "KEY": (first occurrence).
json_num() { grep -m1 "\"$2\":" "$1" | sed -E 's/.*: *([-0-9.eE+]+),?$/\1/'; }
# svc_num FILE SERVICE KEY: KEY inside inference.services.SERVICE.
svc_num() { sed -n "/^      \"$2\": {/,/^      }/p" "$1" | json_num /dev/stdin "$3"; }

$wrap "$bin" run svc.yaml --out out >/dev/null 2>run.err
check "run with two services succeeds" [ $? -eq 0 ]
csv=out/requests.csv
check "requests.csv is written" [ -s "$csv" ]
check "requests.csv header" [ "$(head -n 1 "$csv")" = \
    "service,request,arrival_s,replica,prompt_tokens,output_tokens,ttft_s,tpot_s,end_s,preemptions,slo_met" ]
total=$(json_num out/summary.json completed)
rows=$(($(wc -l <"$csv") - 1))
check "one row per completed request ($rows rows, $total completed)" [ "$rows" -eq "$total" ]
for s in chat replay; do
    want=$(svc_num out/summary.json "$s" completed)
    got=$(awk -F, -v s="$s" 'NR > 1 && $1 == s' "$csv" | wc -l)
    check "service $s: $got rows for $want completed" [ "$got" -eq "$want" ]
done
check "the three replayed requests all complete" [ "$(svc_num out/summary.json replay completed)" -eq 3 ]
check "replay: its rows carry the trace's lengths" [ "$(awk -F, '$1 == "replay" { print $5 "/" $6 }' \
    "$csv" | sort | paste -sd' ')" = "120/300 321/40 500/1" ]
check "replay: output tokens of the rows = the service's tokens_out (341)" \
    [ "$(awk -F, '$1 == "replay" { n += $6 } END { print n }' "$csv")" = 341 -a \
      "$(svc_num out/summary.json replay tokens_out)" = 341 ]
# Every row: 11 fields, ttft > 0, end >= arrival + ttft, an empty tpot exactly
# for one-token outputs, ids unique within a service.
check "rows are consistent" awk -F, '
    NR == 1 { next }
    NF != 11 || $7 <= 0 || $9 + 1e-6 < $3 + $7 || (($6 == 1) != ($8 == "")) { bad = 1 }
    seen[$1 "/" $2]++ { bad = 1 }
    END { exit bad }' "$csv"
rm -rf out

sed 's/^output: {requests: true}$/output: {requests: false}/' svc.yaml >nocsv.yaml
$wrap "$bin" run nocsv.yaml --out out >/dev/null 2>&1
check "no requests.csv unless asked for" test ! -e out/requests.csv -a -s out/summary.json
rm -rf out

# ---- A lenient trace: the malformed row is skipped and counted. ----

service lenient.yaml 1 'model: qwen2.5-7b' 'requests: {trace: badrow.csv, lenient: true}'
$wrap "$bin" run lenient.yaml --out out >/dev/null 2>&1
check "lenient trace: the run succeeds" test -s out/summary.json
check "lenient trace: one row skipped, in the summary" \
    grep -q '"trace_rows_skipped": 1' out/summary.json
rm -rf out

# ---- check round trip. ----

$wrap "$bin" check svc.yaml >r1.yaml 2>/dev/null
rc=$?
check "check accepts the services" test "$rc" -eq 0 -a -s r1.yaml
check "check prints the services resolved" grep -q 'router: least-tokens' r1.yaml
mkdir sub
$wrap "$bin" check r1.yaml >sub/r2.yaml 2>/dev/null
check "check of the check output succeeds" [ $? -eq 0 ]
check "and resolves to the same text" bash -c '[ -s sub/r2.yaml ] && cmp -s r1.yaml sub/r2.yaml'
(cd sub && $wrap "$bin" check ../r1.yaml >r3.yaml 2>/dev/null)
check "from another folder too (trace paths are absolute)" \
    bash -c '[ -s sub/r3.yaml ] && cmp -s r1.yaml sub/r3.yaml'

summary
