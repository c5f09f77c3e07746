#!/bin/bash
# suanli plan with a `plan:` section in the scenario file (issue 10): the
# section is the search space (`suanli run` ignores it); --vary replaces a
# file key's values and adds keys; --set of a varied key is refused; every
# error in the section names file:line:col; --by (and plan.by, and a varied
# site.name) prints the best design per group and adds the group columns to
# plan.csv; --sample draws a seeded subset, the same for the same seed;
# --max-runs refuses a larger space.  Then the three-site plan in small:
# the best design per site, and a killed plan resumes without a rerun.
# Usage: cli_plan_file.sh path/to/suanli source-dir
set -u
bin=$1
src=$2
. "$(dirname "$0")/harness.sh"
cd "$work"

head='name: tiny
run: {duration: 2h, sample: 10min}
workload: {synthetic: {shape: constant, mean: 60 %, noise: 0 %}}
fleet: {server: hgx-h100, servers: 4, servers_per_rack: 2}'
cat >p.yaml <<YAML
$head
plan:
  vary:
    fleet.servers: [4, 6]
    facility.power_chain: [ac-2n-ups, hvdc-240]
  set: {run.duration: 1h}
YAML

"$bin" run p.yaml --out r >/dev/null 2>&1
check "suanli run ignores the plan section" [ $? -eq 0 ]
check "... and runs the file's own values" grep -q '"servers": 4,' r/summary.json

"$bin" plan p.yaml --out a >a.out 2>a.err
check "a plan from the file runs" [ $? -eq 0 ]
check "... every combination of plan.vary" grep -q "4 combinations: 4 run now" a.out
check "... by combination: the first key varies slowest" \
    [ "$(cut -d, -f2,4,5 a/plan.csv | sort | tr '\n' ' ')" = \
      "0,4,ac-2n-ups 1,4,hvdc-240 2,6,ac-2n-ups 3,6,hvdc-240 combination,fleet.servers,facility.power_chain " ]
check "... plan.set applies (1 h runs)" grep -q '"sim_seconds": 3600' a/runs/0000/summary.json
check "... no group columns without a by key" \
    [ "$(head -1 a/plan.csv | cut -d, -f1-4)" = "rank,combination,status,fleet.servers" ]
check "... the summary has compute per locked MW" grep -q '"tokens_per_s_per_mw"' a/runs/0000/summary.json
check "... and the oversubscription keys" grep -q '"servers_worst_case"' a/runs/0000/summary.json
check "... which plan.csv carries" head -1 a/plan.csv | grep -q "tokens_per_s_per_mw,train_pflops_per_mw,servers_installed,servers_worst_case,oversubscription"

# The command line: --set wins over plan.set; --vary replaces a file key's
# values in place and adds new keys after the file's.
"$bin" plan p.yaml --set run.duration=2h --vary fleet.servers=8 --vary site.name=chengde,xinghua \
    --by none --out b >b.out 2>&1
check "--vary replaces and adds keys" grep -q "4 combinations: 4 run now" b.out
check "... in place, new keys last" \
    [ "$(head -1 b/plan.csv | cut -d, -f4-6)" = "fleet.servers,facility.power_chain,site.name" ]
check "... with the command line's values" [ "$(cut -d, -f4 b/plan.csv | sort -u | head -1)" = 8 ]
check "... --set wins over plan.set" grep -q '"sim_seconds": 7200' b/runs/0000/summary.json
check "... --by none: no best-per table" eval '! grep -q "best per" b.out'

# A varied site.name groups the ranking by itself.
"$bin" plan p.yaml --vary site.name=chengde,xinghua --out g >g.out 2>&1
check "a varied site.name groups by site" grep -q "^best per site.name:" g.out
check "... one best design per site" \
    [ "$(sed -n '/^best per/,$p' g.out | grep -cE '^(chengde|xinghua) ')" = 2 ]
check "... plan.csv has the group and the rank in it" \
    [ "$(head -1 g/plan.csv | cut -d, -f1-5)" = "rank,combination,status,group,group_rank" ]
check "... each group has a first" [ "$(awk -F, '$5 == 1' g/plan.csv | wc -l)" = 2 ]
"$bin" plan p.yaml --vary site.name=chengde,xinghua --by facility.power_chain --out g2 >g2.out 2>&1
check "--by picks another key" grep -q "^best per facility.power_chain:" g2.out

# --sample: a seeded subset, deterministic; --max-runs refuses more.
cat >s.yaml <<YAML
$head
plan:
  vary:
    fleet.servers: [2, 3, 4, 5]
    fleet.servers_per_rack: [1, 2, 4]
    facility.power_chain: [ac-2n-ups, hvdc-240]
  set: {run.duration: 10min}
YAML
"$bin" plan s.yaml --max-runs 10 --out m >m.out 2>m.err
check "a space larger than --max-runs is refused: exit 2" [ $? -eq 2 ]
check "... saying how to sample" grep -qF "24 combinations, more than --max-runs 10: run a seeded random subset with --sample N" m.err
"$bin" plan s.yaml --max-runs 10 --sample 5 --out s1 >s1.out 2>&1
check "--sample 5 runs five" grep -q "a sample of 5 of the 24 combinations (--sample-seed 1): 5 run now" s1.out
"$bin" plan s.yaml --max-runs 10 --sample 5 --out s2 >/dev/null 2>&1
check "... the same five again" cmp -s <(cut -d, -f2 s1/plan.csv | sort) <(cut -d, -f2 s2/plan.csv | sort)
"$bin" plan s.yaml --max-runs 10 --sample 5 --sample-seed 7 --out s3 >/dev/null 2>&1
check "... another seed draws others" eval '! cmp -s <(cut -d, -f2 s1/plan.csv | sort) <(cut -d, -f2 s3/plan.csv | sort)'
"$bin" plan s.yaml --max-runs 10 --sample 5 --sample-seed 7 --out s1 >/dev/null 2>s4.err
check "... and is another plan for the database" grep -qF "different plan" s4.err

# Errors in the section: exit 2 and file:line:col.
bad_plan() { # NAME EXPECTED-TEXT SECTION-TEXT [ARGS...]
    local name=$1 want=$2 text=$3
    shift 3
    printf '%s\nplan:\n%s\n' "$head" "$text" >bad.yaml
    "$bin" plan bad.yaml --out bad "$@" >bad.out 2>bad.err
    local rc=$?
    check "$name: exit 2" [ $rc -eq 2 ]
    check "$name: the message names the place" grep -qF -- "$want" bad.err
}
bad_plan "an unknown plan key" "bad.yaml:7:3: unknown key 'plan.vari' (did you mean 'vary'?)" \
    '  vary: {fleet.servers: [4]}
  vari: 1'
bad_plan "a varied key that does not exist" "bad.yaml:6:10: unknown key 'bogus' in fleet" \
    '  vary: {fleet.bogus: [4, 6]}'
bad_plan "a value that does not load" "bad.yaml:7:24: 'fleet.servers': expected an integer" \
    '  vary:
    fleet.servers: [4, x]'
bad_plan "an empty list" "bad.yaml:7:20: 'plan.vary.fleet.servers' is an empty list" \
    '  vary:
    fleet.servers: []'
bad_plan "a repeated value" "bad.yaml:7:24: 'plan.vary.fleet.servers': value '4' repeated" \
    '  vary:
    fleet.servers: [4, 4]'
bad_plan "a key varied twice" "bad.yaml:8:5: 'plan.vary.fleet' varies a key already varied" \
    '  vary:
    fleet.servers: [4]
    fleet: [{servers: 5}]'
bad_plan "a value that is not a list" "bad.yaml:7:20: 'plan.vary.fleet.servers' expects a list" \
    '  vary:
    fleet.servers: 4'
bad_plan "a set of a varied key" "bad.yaml:7:9: 'plan.set.fleet.servers' sets a key that 'plan.vary' varies" \
    '  vary: {fleet.servers: [4]}
  set: {fleet.servers: 5}'
bad_plan "plan.by of a key not varied" "bad.yaml:7:7: 'plan.by' names 'site.name', which the plan does not vary" \
    '  vary: {fleet.servers: [4]}
  by: site.name'
bad_plan "plan.slo out of range" "bad.yaml:7:8: 'plan.slo' expects the least SLO attainment" \
    '  vary: {fleet.servers: [4]}
  slo: 2'
bad_plan "--set of a key the file varies" "--set 'fleet.servers=5': bad.yaml:6:10 varies 'fleet.servers'" \
    '  vary: {fleet.servers: [4]}' --set fleet.servers=5
bad_plan "a list value that does not fit" "bad.yaml:6:48: 'facility.cooling' expects text, got a mapping" \
    '  vary: {facility.cooling: [liquid-cold-plate, {name: x}]}'
bad_plan "no feasible combination" "bad.yaml:5:1: 'plan': no combination of the space is feasible" \
    '  vary: {fleet.servers: [1], workload.inference.0.replicas: [9, 10]}
  set: {workload.inference: [{name: a, model: qwen2.5-7b, replicas: 8, requests: {rate: 1/s, prompt_tokens: "100", output_tokens: "100"}}]}'
check "... and the first reason, at the value" grep -qF "the first: bad.yaml:6:62: service 'a': 9 replicas" bad.err
check "no output is left by bad input" [ ! -e bad/plan.csv ]

# The three-site plan in small (scenarios/plan-sites.yaml with a small
# fleet for a day): one best design per site, and a killed plan resumes.
small=(--set run.duration=1d --set fleet.servers=16 --set site.grid_cap=150kW
       --set workload.inference.0.replicas=4 --set workload.inference.0.requests.rate=2/s
       --set workload.inference.1.replicas=32 --set workload.inference.1.requests.rate=40/s
       --set workload.training.jobs.0.cards=64 --set workload.training.generate.jobs_per_day=20
       --set workload.training.generate.max_cards=16
       --vary facility.power_chain=ac-2n-ups,dc-800-sst)
"$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" -j 2 --out sites >sites.out 2>sites.err
check "the three-site plan runs" [ $? -eq 0 ]
check "... 72 designs" grep -q "72 combinations: 72 run now" sites.out
check "... one best design per site" \
    [ "$(sed -n '/^best per site.name:/,$p' sites.out | grep -cE '^(chengde|shijiazhuang|xinghua) +[0-9]')" = 3 ]
"$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" --db sites/plan.sqlite --dump >ref.rows
"$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" --out k >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 2400); do
    [ -f k/plan.sqlite ] &&
        [ "$("$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" --db k/plan.sqlite --dump 2>/dev/null | wc -l)" -ge 3 ] &&
        break
    sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" --out k >k.out 2>&1
check "the killed three-site plan resumes" [ $? -eq 0 ]
check "... without redoing the finished runs" grep -qE "72 combinations: ([1-9]|[1-6][0-9]|70) run now, ([2-9]|[1-6][0-9]|70) already done" k.out
check "... and ends with the rows of the uninterrupted plan (-j 2)" \
    cmp -s ref.rows <("$bin" plan "$src/scenarios/plan-sites.yaml" "${small[@]}" --db k/plan.sqlite --dump)
check "... and the same best design per site" \
    cmp -s <(sed -n '/^best per/,$p' sites.out) <(sed -n '/^best per/,$p' k.out)

summary
