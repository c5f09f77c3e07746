#!/bin/bash
# suanli plan (issue 10, part 6): a 2x2 space on a tiny scenario writes four
# rows; a rerun runs nothing; a plan stopped after some runs (--limit, and
# kill -9) resumes without redoing them and ends with the same rows; -j 2
# gives the same rows and ranked CSV as -j 1; the ranking puts runs over the
# cap last; bad --vary syntax, unknown keys, bad values, a space with no
# feasible point and a database of another plan are refused with exit 2 and
# a position.
# Usage: cli_plan.sh path/to/suanli source-dir
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"

cat >tiny.yaml <<'YAML'
name: tiny
run: {duration: 2h, sample: 10min}
workload: {synthetic: {shape: constant, mean: 60 %, noise: 0 %}}
fleet: {server: hgx-h100, servers: 4, servers_per_rack: 2}
YAML
space=(--vary fleet.servers=4,6 --vary facility.power_chain=ac-2n-ups,hvdc-240)

# rows DB: the database's rows by combination (the CSV of --dump).
rows() { "$bin" plan tiny.yaml "${space[@]}" --db "$1" --dump; }

"$bin" plan tiny.yaml "${space[@]}" --out a >a.out 2>a.err
check "a 2x2 plan runs" [ $? -eq 0 ]
check "... four runs" grep -q "4 combinations: 4 run now, 0 already done" a.out
rows a/plan.sqlite >a.rows
check "... four rows in the database (and a header)" [ "$(wc -l <a.rows)" = 5 ]
check "... by combination: servers vary slowest" \
    [ "$(cut -d, -f2,4,5 a.rows | tr '\n' ' ')" = \
      "combination,fleet.servers,facility.power_chain 0,4,ac-2n-ups 1,4,hvdc-240 2,6,ac-2n-ups 3,6,hvdc-240 " ]
check "... every row ran" [ "$(grep -c ',ok,' a.rows)" = 4 ]
check "... each run's outputs are kept" [ -f a/runs/0003/summary.json ]
check "... plan.csv holds the ranked rows" [ "$(wc -l <a/plan.csv)" = 5 ]
# The ranking: no run is over the cap and none serves tokens, so the
# cheapest ranks first: 4 servers on HVDC.
check "... the cheapest design ranks first" [ "$(sed -n 2p a/plan.csv | cut -d, -f2)" = 1 ]

"$bin" plan tiny.yaml "${space[@]}" --out a >a2.out 2>&1
check "a rerun runs nothing" grep -q "4 combinations: 0 run now, 4 already done" a2.out
rows a/plan.sqlite >a2.rows
check "... and leaves the rows" cmp -s a.rows a2.rows

"$bin" plan tiny.yaml "${space[@]}" --out b --limit 1 >b1.out 2>&1
check "--limit 1 runs one" grep -q "1 run now, 0 already done" b1.out
check "... and records one row" [ "$(rows b/plan.sqlite | wc -l)" = 2 ]
"$bin" plan tiny.yaml "${space[@]}" --out b -j 2 >b2.out 2>&1
check "the stopped plan resumes with the other three" grep -q "3 run now, 1 already done" b2.out
check "... and ends with the same rows" cmp -s a.rows <(rows b/plan.sqlite)

"$bin" plan tiny.yaml "${space[@]}" --out j2 -j 2 >/dev/null 2>&1
check "-j 2 gives the same rows as -j 1" cmp -s a.rows <(rows j2/plan.sqlite)
check "... and the same ranked CSV" cmp -s a/plan.csv j2/plan.csv

# A plan killed (SIGKILL) while it runs resumes.  Its runs (inference,
# four hours) take a fraction of a second or more each; the test waits for
# the first row, kills, reruns.
cat >inf.yaml <<'YAML'
name: inf
run: {duration: 10min, sample: 5min}
fleet: {server: hgx-h100, servers: 2, servers_per_rack: 2}
workload:
  inference:
    - name: chat
      model: qwen2.5-7b
      replicas: 8
      requests: {rate: 5/s, prompt_tokens: "lognormal(6.6, 1.0, max=8000)", output_tokens: "lognormal(5.0, 0.8, max=2000)"}
YAML
slow=(--set run.duration=4h --set workload.inference.0.requests.rate=20/s
      --vary fleet.servers=2,3 --vary workload.inference.0.replicas=8,16)
"$bin" plan inf.yaml "${slow[@]}" --out ref >/dev/null 2>&1
"$bin" plan inf.yaml "${slow[@]}" --db ref/plan.sqlite --dump >ref.rows
check "the reference plan has four rows" [ "$(grep -c ',ok,' ref.rows)" = 4 ]
"$bin" plan inf.yaml "${slow[@]}" --out k >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
    [ -f k/plan.sqlite ] &&
        [ "$("$bin" plan inf.yaml "${slow[@]}" --db k/plan.sqlite --dump 2>/dev/null | wc -l)" -ge 2 ] &&
        break
    sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"$bin" plan inf.yaml "${slow[@]}" --out k >k.out 2>&1
check "a killed plan resumes" [ $? -eq 0 ]
check "... without redoing the finished runs, running the others" \
    grep -qE "4 combinations: [1-3] run now, [1-3] already done" k.out
check "... and ends with the rows of an uninterrupted plan" \
    cmp -s ref.rows <("$bin" plan inf.yaml "${slow[@]}" --db k/plan.sqlite --dump)

# Ranking: a cap the 6-server runs exceed puts them last.
"$bin" plan tiny.yaml "${space[@]}" --set site.grid_cap=37kW --out cap >/dev/null 2>&1
check "a plan with a tight cap runs" [ $? -eq 0 ]
check "... the runs over the cap rank last" \
    [ "$(cut -d, -f3,4 cap/plan.csv | tail -n +2 | tr '\n' ' ')" = "ok,4 ok,4 over_cap,6 over_cap,6 " ]

# Bad input: exit 2 and where.
bad_input() { # NAME EXPECTED-TEXT ARGS...
    local name=$1 want=$2
    shift 2
    "$bin" plan tiny.yaml "$@" --out bad >bad.out 2>bad.err
    local rc=$?
    check "$name: exit 2" [ $rc -eq 2 ]
    check "$name: the message names it" grep -qF -- "$want" bad.err
}
bad_input "--vary without =" "--vary 'fleet.servers': expected KEY=V1,V2" --vary fleet.servers
bad_input "--vary with an empty value" "empty value at column 17" --vary fleet.servers=4,,6
bad_input "--vary with a repeated value" "value '4' repeated at column 19" --vary fleet.servers=4,6,4
bad_input "--vary with a space in the key" "character ' ' at column 6" --vary 'fleet servers=4'
bad_input "a key varied twice" "key 'fleet.servers' is varied twice" \
    --vary fleet.servers=4 --vary fleet.servers=6
bad_input "an unknown key" "--vary 'fleet.bogus=1,2' (value '1')" --vary fleet.bogus=1,2
bad_input "a bad value" "--vary 'fleet.servers=4,x' (value 'x')" --vary fleet.servers=4,x
bad_input "nothing to vary" "nothing to vary"
bad_input "--slo above 1" "--slo expects the least SLO attainment" --vary fleet.servers=4 --slo 1.5
bad_input "--limit 0" "--limit expects a positive number" --vary fleet.servers=4 --limit 0
check "no database is left by bad input" [ ! -e bad ]
"$bin" plan inf.yaml --vary fleet.servers=1 --vary workload.inference.0.replicas=9,10 --out none \
    >none.out 2>none.err
check "a space with no feasible point: exit 2" [ $? -eq 2 ]
check "... naming the --vary of the first combination" \
    grep -qF "no combination of the space is feasible" none.err
check "... and why" grep -qF "(value '9'): service 'chat': 9 replicas" none.err
"$bin" plan inf.yaml --vary fleet.servers=1,2 --vary workload.inference.0.replicas=8,16 --out some \
    >some.out 2>&1
check "a space with an infeasible point runs the others" grep -q "3 run now, 0 already done, 1 infeasible" some.out
check "... and ranks it last" [ "$(tail -n 1 some/plan.csv | cut -d, -f2,3)" = "1,infeasible" ]
# --slo: a run below the least SLO attainment ranks after one at it, even
# though it serves more tokens/s.
"$bin" plan inf.yaml --vary workload.inference.0.requests.rate=5/s,400/s --slo 0.9 --out slo \
    >/dev/null 2>&1
check "a plan with --slo runs" [ $? -eq 0 ]
check "... the overloaded run is below the SLO and ranks last" \
    [ "$(cut -d, -f2,3 slo/plan.csv | tail -n +2 | tr '\n' ' ')" = "0,ok 1,below_slo " ]
"$bin" plan inf.yaml --vary workload.inference.0.requests.rate=5/s,400/s --out slo2 >/dev/null 2>&1
check "... without --slo, the one with more tokens/s ranks first" \
    [ "$(cut -d, -f2,3 slo2/plan.csv | tail -n +2 | tr '\n' ' ')" = "1,ok 0,ok " ]
"$bin" plan tiny.yaml --vary fleet.servers=4,8 --out a >other.out 2>other.err
check "a database of another plan is refused: exit 2" [ $? -eq 2 ]
check "... saying so" grep -qF "holds the results of a different plan" other.err
"$bin" plan tiny.yaml "${space[@]}" --set run.seed=9 --out a >/dev/null 2>other.err
check "... also for another --set" grep -qF "different plan" other.err

summary
