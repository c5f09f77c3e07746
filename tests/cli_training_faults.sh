#!/bin/bash
# Bad values of the keys of training through failures (issue #11): exit 2
# with one message naming file:line:column.  Usage: cli_training_faults.sh
# path/to/suanli source-dir.
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"


head='fleet: {servers: 4}\nworkload:\n  training:\n'
expect_bad "negative interval" "bad.yaml:4:17: 'workload.training.checkpoint' must be at least 0s" \
    "${head}    checkpoint: -10min\n"
expect_bad "write longer than the interval" \
    "bad.yaml:5:23: the checkpoint write \(660 s\) is longer than the checkpoint interval \(600 s\)" \
    "${head}    checkpoint: 10min\n    checkpoint_write: 11min\n"
expect_bad "given write longer than a given interval" "bad.yaml:5:23: the checkpoint write \(40 s\)" \
    "${head}    checkpoint: 30s\n    checkpoint_write: 40s\n"
# 8.03 B parameters x 14 bytes from one server at 1 GB/s, plus 5 s.
expect_bad "auto write longer than the section's interval" \
    "bad.yaml:4:17: job 'j': its checkpoint write \(117.4[0-9]* s, .auto. from its model" \
    "${head}    checkpoint: 30s\n    jobs:\n      - {name: j, cards: 8, duration: 1h}\n"
expect_bad "zero storage bandwidth" \
    "bad.yaml:4:20: 'workload.training.checkpoint_bw' must be greater than 0 B/s" \
    "${head}    checkpoint_bw: 0 GB/s\n"
expect_bad "negative storage bandwidth" \
    "bad.yaml:4:20: 'workload.training.checkpoint_bw' must be greater than 0 B/s" \
    "${head}    checkpoint_bw: -2 GB/s\n"
expect_bad "storage bandwidth not a number" \
    "bad.yaml:4:20: 'workload.training.checkpoint_bw': expected a bandwidth" \
    "${head}    checkpoint_bw: fast\n"
expect_bad "write neither auto nor a time" \
    "bad.yaml:4:23: 'workload.training.checkpoint_write' is .auto. or a time" \
    "${head}    checkpoint_write: soon\n"
expect_bad "negative latency" "bad.yaml:4:25: 'workload.training.checkpoint_latency' must be at least 0s" \
    "${head}    checkpoint_latency: -1s\n"
expect_bad "zero bytes per parameter" \
    "bad.yaml:4:33: 'workload.training.checkpoint_bytes_per_param' must be greater than 0" \
    "${head}    checkpoint_bytes_per_param: 0\n"
expect_bad "a job's write longer than its interval" \
    "bad.yaml:5:79: job 'j': its checkpoint write \(120 s\) is longer" \
    "${head}    jobs:\n      - {name: j, cards: 8, duration: 1h, checkpoint: 1min, checkpoint_write: 2min}\n"
expect_bad "negative write" "bad.yaml:4:23: 'workload.training.checkpoint_write' must be at least 0s" \
    "${head}    checkpoint_write: -5s\n"
expect_bad "negative detection" "bad.yaml:4:16: 'workload.training.detection' must be at least 0s" \
    "${head}    detection: -1s\n"
expect_bad "restart over a day" "bad.yaml:4:14: 'workload.training.restart' must be at most 1d" \
    "${head}    restart: 2d\n"
expect_bad "negative spares" "bad.yaml:4:20: 'workload.training.spare_servers' must be at least 0" \
    "${head}    spare_servers: -2\n"

# The defaults load, and Young/Daly is what `check` shows.
printf 'fleet: {servers: 4}\n' > good.yaml
if "$bin" check good.yaml > resolved.txt 2>&1; then ok "defaults load"; else bad "defaults load"; fi
check "checkpoint 0s (Young/Daly) by default" grep -q 'checkpoint: 0s' resolved.txt
check "checkpoint_write auto by default" grep -q 'checkpoint_write: auto' resolved.txt
"$bin" check good.yaml > resolved.yaml 2>/dev/null
"$bin" check resolved.yaml > again.txt 2>/dev/null
check "auto parses back" grep -q 'checkpoint_write: auto' again.txt
# A number given wins over auto: the job's, then the section's (auto
# would be 117 s, longer than the 60 s interval, and refused as above).
printf 'fleet: {servers: 4}\nworkload:\n  training:\n    checkpoint: 60s\n    checkpoint_write: 50s\n    jobs:\n      - {name: j, cards: 8, duration: 1h}\n' > given.yaml
check "a given write wins over auto" sh -c "\"\$1\" check given.yaml >/dev/null 2>&1" sh "$bin"
printf 'fleet: {servers: 4}\nworkload:\n  training:\n    checkpoint: 60s\n    jobs:\n      - {name: j, cards: 8, duration: 1h, checkpoint_write: 50s}\n' > given.yaml
check "a job's write wins over auto" sh -c "\"\$1\" check given.yaml >/dev/null 2>&1" sh "$bin"

# Training through failures: same scenario and seed, same bytes.
cat > ride.yaml <<'YAML'
name: ride
run: {duration: 20d, sample: 1d, seed: 4}
facility: {step: 1h}
fleet: {servers: 64}
failures: {enabled: true, gpu: {rate: 2}}
workload:
  training:
    spare_servers: 2
    jobs:
      - {name: big, cards: 384, duration: 30d}
      - {name: small, cards: 16, duration: 2d, submit: 1d}
YAML
"$bin" run ride.yaml --out a >/dev/null 2>&1 && "$bin" run ride.yaml --out b >/dev/null 2>&1
check "same seed, same summary" cmp -s a/summary.json b/summary.json
check "same seed, same jobs.csv" cmp -s a/jobs.csv b/jobs.csv
sed -n '/"training": {/,/}/p' a/summary.json > training.txt
check "the jobs were interrupted" grep -Eq '"interruptions": [1-9]' training.txt
check "and restarted" grep -Eq '"restarts": [1-9]' training.txt
summary
