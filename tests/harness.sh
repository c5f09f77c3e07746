# Shared by the command-line tests (tests/cli_*.sh), sourced after `set -u`:
# a scratch folder $work removed on exit, the pass/fail counters, ok/bad to
# record a result, check NAME CMD... to record whether CMD succeeds, and
# summary to print the closing "N passed, N failed" line CTest shows and
# return non-zero on any failure.  Not a test itself (CTest runs cli_*.sh).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
