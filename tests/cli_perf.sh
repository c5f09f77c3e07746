#!/bin/bash
# `suanli perf infer` and `suanli perf calibrate` through the command line:
# exit codes, the human and --json outputs (valid JSON with exactly the
# documented keys, the same bytes every run), suggestions for unknown names,
# CSV errors at file:line:column, the profile written atomically (an old one
# survives a failed calibration, no temporary file is left) and read back by
# `perf infer --profile`.  Usage: cli_perf.sh path/to/suanli source-dir.
set -u
bin=$1
src=$2
wrap=${SUANLI_WRAP:-}
. "$(dirname "$0")/harness.sh"
cd "$work"
data="$src/tests/data/measured-nim-llama3.csv"

# run ARGS...: runs the command, stdout in out.txt, stderr in err.txt, code in $rc.
run() {
    $wrap "$bin" "$@" >out.txt 2>err.txt
    rc=$?
}

# expect NAME CODE REGEX ARGS...: exit CODE and stderr matching REGEX, no crash.
expect() {
    local name=$1 code=$2 pattern=$3
    shift 3
    run "$@"
    if [ "$rc" -ne "$code" ]; then
        bad "$name: exit code $rc, expected $code"; cat err.txt; return
    fi
    if ! grep -Eq -- "$pattern" err.txt; then
        bad "$name: stderr does not match /$pattern/"; cat err.txt; return
    fi
    if grep -qi -E 'segmentation|sanitizer|abort' err.txt; then
        bad "$name: crash"; cat err.txt; return
    fi
    ok "$name"
}

infer="perf infer --model llama3-8b --device h100-sxm"

# ---- perf infer ----
run $infer
check "infer exits 0" [ "$rc" -eq 0 ]
for key in prefill_ms decode_ms_per_token tokens_per_s max_batch_by_memory sessions_per_device power_w; do
    check "infer prints $key" grep -q "^$key " out.txt
done
check "infer says where the factors come from" grep -q "efficiency (device defaults)" out.txt
check "infer prints the power of the three phases" grep -Eq "^power_w +idle [0-9.]+, prefill [0-9.]+, decode [0-9.]+" out.txt

run $infer --json --batch 16 --prompt 2048 --output 512
check "json exits 0" [ "$rc" -eq 0 ]
cp out.txt json1.txt
check "json is one line" [ "$(wc -l <json1.txt)" -eq 1 ]
if command -v python3 >/dev/null 2>&1; then
    json_ok() { python3 -m json.tool "$1" >/dev/null; }
    check "json is valid (python3 -m json.tool)" json_ok json1.txt
    check "json has exactly the documented keys" python3 -c '
import json, sys
o = json.load(open("json1.txt"))
want = ["prefill_ms", "decode_ms_per_token", "tokens_per_s", "max_batch_by_memory",
        "sessions_per_device", "power_w"]
assert list(o) == want, list(o)
assert list(o["power_w"]) == ["idle", "prefill", "decode"], o["power_w"]
assert isinstance(o["max_batch_by_memory"], int)
assert all(isinstance(o[k], (int, float)) and o[k] > 0 for k in want[:5]), o
assert 0 < o["power_w"]["idle"] < o["power_w"]["decode"] <= o["power_w"]["prefill"], o
'
else
    check "json looks like one object with the documented keys" grep -Eq '^\{"prefill_ms": [0-9.]+, "decode_ms_per_token": [0-9.]+, "tokens_per_s": [0-9.]+, "max_batch_by_memory": [0-9]+, "sessions_per_device": [0-9.]+, "power_w": \{"idle": [0-9.]+, "prefill": [0-9.]+, "decode": [0-9.]+\}\}$' json1.txt
fi
run $infer --json --batch 16 --prompt 2048 --output 512
check "json is the same bytes every run" cmp -s out.txt json1.txt
run $infer --json --batch=16 --prompt=2048 --output=512
check "options also take name=value" cmp -s out.txt json1.txt

# Larger batches: more tokens/s, a longer decode step.
run $infer --json --batch 1
t1=$(sed 's/.*"tokens_per_s": \([0-9.]*\).*/\1/' out.txt)
run $infer --json --batch 64
t64=$(sed 's/.*"tokens_per_s": \([0-9.]*\).*/\1/' out.txt)
check "batch 64 gives more tokens/s than batch 1 ($t64 > $t1)" awk -v a="$t64" -v b="$t1" 'BEGIN { exit !(a > b) }'

# A cap slows prefill, and draws no more than the cap.
run $infer --json --power-cap 350W
check "--power-cap with a unit" [ "$rc" -eq 0 ]
check "capped prefill power is at most 350 W" grep -Eq '"prefill": (3[0-4][0-9]|350)\.[0-9]' out.txt
run perf infer --model llama3-70b --device h100-sxm --tp 4 --weights fp8 --kv fp8 --tpot-slo 30ms
check "tp, precisions and --tpot-slo" [ "$rc" -eq 0 ]
check "the header names them" grep -q "llama3-70b on 4 x h100-sxm: fp8 weights, fp8 KV" out.txt

run $infer --batch 5000
check "a batch beyond memory still answers" [ "$rc" -eq 0 ]
check "with a note that it does not fit" grep -q "note: a batch of 5000 exceeds the [0-9]* sequences of 1280 tokens" err.txt
run $infer --batch 8
check "no note when the batch fits" [ ! -s err.txt ]
expect "unknown model suggests" 2 "unknown model 'llama3-8' \(did you mean 'llama3-8b'\?\)" perf infer --model llama3-8 --device h100-sxm
expect "unknown device suggests" 2 "unknown device 'h100-smx' \(did you mean 'h100-sxm'\?\)" perf infer --model llama3-8b --device h100-smx
expect "unknown device without a near name" 2 "unknown device 'zzzzzz' \(\`suanli catalog\` lists the devices\)" perf infer --model llama3-8b --device zzzzzz
expect "unknown model without a near name" 2 "unknown model 'zzzzzz' \(built-in models: .*llama3-70b" perf infer --model zzzzzz --device h100-sxm
expect "a model that does not fit" 2 "error: .*(GB|memory|fit)" perf infer --model llama3-405b --device h100-sxm
expect "power cap without a unit" 2 "--power-cap expects a power" $infer --power-cap 350
expect "power cap of another kind" 2 "--power-cap expects a power" $infer --power-cap 350ms
expect "tp 0" 2 "--tp expects a whole number from 1" $infer --tp 0
expect "batch not a number" 2 "--batch expects a whole number" $infer --batch many
expect "unknown precision" 2 "--weights expects fp16, int8, fp8 or int4, got 'bf16'" $infer --weights bf16
expect "int4 KV" 2 "--kv expects fp16, int8 or fp8" $infer --kv int4
expect "tpot-slo without a unit" 2 "--tpot-slo expects a time" $infer --tpot-slo 50
expect "missing --model" 2 "needs --model" perf infer --device h100-sxm
expect "missing value" 2 "option '--tp' needs a value" $infer --tp
expect "unknown option" 2 "unknown option '--bogus'" $infer --bogus
expect "unknown subcommand" 2 "unknown perf subcommand 'infre'" perf infre
expect "no subcommand" 2 "perf needs a subcommand" perf
run help perf
check "help perf exits 0" [ "$rc" -eq 0 ]
check "help perf documents both subcommands" grep -q "suanli perf calibrate MEASURED.csv" out.txt
run perf infer --help
check "perf infer --help" grep -q "Usage: suanli perf infer" out.txt

# ---- perf calibrate ----
mkdir cal
cd cal
run perf calibrate "$data"
check "calibrate exits 0" [ "$rc" -eq 0 ]
check "default output is profile.yaml" [ -f profile.yaml ]
check "calibrate prints the fit of each group" grep -Eq "^  llama3-70b on h100-sxm, tp 8: 48 points \(60 rows\)" out.txt
check "calibrate prints the error" grep -Eq "^    MAPE prefill [0-9.]+ %, decode [0-9.]+ %" out.txt
check "the profile names its source" grep -q "^# suanli perf calibrate: efficiency factors fitted to $data" profile.yaml
check "the profile has 8 entries" [ "$(grep -c '^  - model: ' profile.yaml)" -eq 8 ]
check "the profile's fields and units" python3 -c '
import re
t = open("profile.yaml").read().split("\n")
assert t[1] == "profile:", t[1]
keys = [l.split(":")[0].strip(" -") for l in t[2:13]]
assert keys == ["model", "device", "tp", "compute", "memory", "overhead", "prefill_mape",
                "decode_mape", "points", "model", "device"], keys
for l in t:
    m = re.match(r"    (compute|memory): (.*)$", l)
    if m: assert 0 < float(m.group(2)) <= 1, l
    m = re.match(r"    overhead: (.*)$", l)
    if m: assert re.fullmatch(r"[0-9.]+(us|ms|s)", m.group(1)), l
    m = re.match(r"    (prefill|decode)_mape: (.*)$", l)
    if m: assert re.fullmatch(r"[0-9]+\.[0-9] %", m.group(2)), l
'
check "no temporary file is left" [ "$(ls -A | grep -c tmp)" -eq 0 ]
cp profile.yaml first.yaml
run perf calibrate "$data" -o again.yaml
check "calibrate is deterministic" cmp -s first.yaml again.yaml

# A failed calibration leaves the old profile as it was.
printf 'model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\nllama3-8b,h100-sxm,1,1,200,200,12.6,7.4\nllama3-8b,h100-sxm,1,x,200,200,12.6,7.4\n' >bad.csv
expect "bad CSV value at file:line:column" 2 "bad.csv:3:22: 'batch' expects a positive whole number, got 'x'" perf calibrate bad.csv
check "the old profile survives a failed calibration" cmp -s profile.yaml first.yaml
printf 'model,device,tp,batch\n' >short.csv
expect "missing column" 2 "short.csv:1:1: the header has no column 'prompt_tokens'" perf calibrate short.csv -o short.yaml
check "no profile for a failed calibration" [ ! -e short.yaml ]
printf 'model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\nllama3-8b,h100-smx,1,1,200,200,12.6,7.4\n' >dev.csv
expect "unknown device in the CSV" 2 "dev.csv:2:11: unknown device 'h100-smx' \(did you mean 'h100-sxm'\?\)" perf calibrate dev.csv -o dev.yaml
printf 'model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\nlama3-8b,h100-sxm,1,1,200,200,12.6,7.4\n' >model.csv
expect "unknown model in the CSV" 2 "model.csv:2:1: unknown model 'lama3-8b' \(did you mean 'llama3-8b'\?\)" perf calibrate model.csv -o model.yaml
printf 'model,device,tp,batch,prompt_tokens,output_tokens,prefill_ms,decode_ms_per_token\nllama3-405b,h100-sxm,1,1,200,200,12.6,7.4\n' >big.csv
expect "a model that does not fit, at its line" 2 "big.csv:2:[0-9]+: model 'llama3-405b' .*does not fit" perf calibrate big.csv -o big.yaml
expect "missing CSV" 2 "nope.csv: cannot open measurement file" perf calibrate nope.csv
expect "no CSV" 2 "needs a measurement file" perf calibrate
expect "profile in a missing folder" 1 "nodir/p.yaml: cannot (create|write) output file" perf calibrate "$data" -o nodir/p.yaml
check "nothing else was written" [ "$(ls -A | sort | tr '\n' ' ')" = "again.yaml bad.csv big.csv dev.csv err.txt first.yaml model.csv out.txt profile.yaml short.csv " ]

# ---- --model-file ----
printf 'models:\n  - {name: tiny, layers: 2, hidden: 64, heads: 4, kv_heads: 4, head_dim: 16, ffn: 128, vocab: 100}\n' >models.yaml
run perf infer --model tiny --device h100-sxm --model-file models.yaml
if grep -q "not available in this build" err.txt; then
    # The model-file reader (sl_model_file_load) is not merged yet.
    check "--model-file refused until its reader is merged" [ "$rc" -eq 2 ]
else
    check "infer with a model of --model-file" [ "$rc" -eq 0 ]
    check "names it" grep -q "^tiny on 1 x h100-sxm" out.txt
fi
rm -f models.yaml

# ---- the profile read back by perf infer ----
run perf infer --model llama3-70b --device h100-sxm --tp 8 --profile profile.yaml
if grep -q "not available in this build" err.txt; then
    # The profile reader (sl_perf_profile_load) is not merged yet: the
    # option is refused as bad usage until it is.
    check "--profile refused until its reader is merged" [ "$rc" -eq 2 ]
else
    check "infer --profile exits 0" [ "$rc" -eq 0 ]
    check "infer uses the profile's entry" grep -q "efficiency (profile)" out.txt
    c=$(awk '/model: llama3-70b/ { m = 1 } m && /device: h100-sxm/ { d = 1 } m && d && /tp: 8/ { t = 1 } t && /compute:/ { print $2; exit }' profile.yaml)
    check "with the fitted compute factor $c" grep -q "compute $c," out.txt
    run perf infer --model llama3-8b --device b200 --profile profile.yaml
    check "no entry: device defaults, with a note" grep -q "has no entry for llama3-8b on b200" err.txt
fi

# ---- perf train ----
train="perf train --model llama3-405b --device h100-sxm --seq 8192 --global-batch 16777216"
run $train --cards 8192 --tp 8 --pp 16 --dp 64
check "train exits 0" [ "$rc" -eq 0 ]
for key in layout step_time_s tokens_per_s tflops_per_device mfu compute_s tp_s pp_bubble_s dp_exposed_s memory_gb power_w; do
    check "train prints $key" grep -q "^$key " out.txt
done
check "train prints the given layout" grep -Eq "^layout +tp 8, pp 16, dp 64, ep 1 \(interleave" out.txt
tf=$(awk '/^tflops_per_device/ { print $2 }' out.txt)
check "Llama 3 405B on 8192 H100 within 15 % of 430 TFLOPS ($tf)" awk -v t="$tf" 'BEGIN { exit !(t > 365.5 && t < 494.5) }'
run $train --cards 8192
check "train without a layout exits 0" [ "$rc" -eq 0 ]
check "train prints the chosen layout" grep -Eq "^layout +tp [0-9]+, pp [0-9]+, dp [0-9]+, ep 1 \(chosen" out.txt
run $train --cards 16384 --json
check "train json exits 0" [ "$rc" -eq 0 ]
cp out.txt tjson1.txt
run $train --cards 16384 --json
check "train json is deterministic" cmp -s out.txt tjson1.txt
check "train json is one line" [ "$(wc -l <tjson1.txt)" -eq 1 ]
if command -v python3 >/dev/null 2>&1; then
    check "train json has exactly the documented keys" python3 -c '
import json
o = json.load(open("tjson1.txt"))
want = ["step_time_s", "tokens_per_s", "tflops_per_device", "mfu", "layout", "compute_s",
        "tp_s", "pp_bubble_s", "dp_exposed_s"]
assert list(o) == want, list(o)
assert list(o["layout"]) == ["tp", "pp", "dp"], o["layout"]
assert o["layout"]["tp"] * o["layout"]["pp"] * o["layout"]["dp"] == 16384
parts = o["compute_s"] + o["tp_s"] + o["pp_bubble_s"] + o["dp_exposed_s"]
assert abs(parts - o["step_time_s"]) < 1e-3, (parts, o["step_time_s"])
assert 0 < o["mfu"] < 1
'
fi
run perf train --model deepseek-v3 --device h800 --cards 2048 --tp 1 --pp 16 --dp 128 --ep 64 --seq 4096 --global-batch 62914560 --precision fp8
check "DeepSeek-V3 FP8 with EP exits 0" [ "$rc" -eq 0 ]
expect "train layout does not divide the cards" 2 "must equal --cards" $train --cards 8192 --tp 8 --pp 16 --dp 32
expect "train layout does not fit" 2 "does not fit on 'h100-sxm'" $train --cards 64 --tp 8 --pp 1 --dp 8
expect "train: no layout fits" 2 "no layout of 'llama3-405b' on 8 x 'h100-sxm' fits" $train --cards 8
expect "train unknown model" 2 "unknown model 'llama3-405" perf train --model llama3-405 --device h100-sxm --cards 8
expect "train unknown device" 2 "unknown device 'h100-smx' \(did you mean 'h100-sxm'\?\)" perf train --model llama3-8b --device h100-smx --cards 8
expect "train missing --cards" 2 "needs --cards" perf train --model llama3-8b --device h100-sxm
expect "train bad precision" 2 "--precision expects bf16 or fp8" $train --cards 8192 --precision fp16
expect "train bad recompute" 2 "--recompute expects auto, none or full" $train --cards 8192 --recompute some
expect "train ep on a dense model" 2 "needs a MoE model" perf train --model llama3-8b --device h100-sxm --cards 16 --tp 8 --pp 1 --dp 2 --ep 2
expect "train compute-eff out of range" 2 "--compute-eff expects a value" $train --cards 8192 --compute-eff 1.5
expect "train batch does not split" 2 "does not split into micro-batches" perf train --model llama3-8b --device h100-sxm --cards 16 --tp 8 --pp 1 --dp 2 --seq 4096 --global-batch 12288
run help perf
check "help perf documents perf train" grep -q "suanli perf train --model M --device D --cards N" out.txt

summary
