# Shared by the command-line tests (tests/cli_*.sh), sourced after `set -u`:
# a scratch folder $work removed on exit, the pass/fail counters, ok/bad to
# record a result, check NAME CMD... to record whether CMD succeeds,
# expect_bad for bad input, and summary to print the closing "N passed, N failed" line CTest shows and
# return non-zero on any failure.  Not a test itself (CTest runs cli_*.sh).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

# expect_bad NAME REGEX TEXT [ARGS...]: with TEXT (printf %b) in bad.yaml,
# `$bin ARGS` (default: check bad.yaml) exits 2 with one message (a line,
# or two with a hint) matching REGEX.
expect_bad() {
    local name=$1 pattern=$2 text=$3
    shift 3
    [ $# -gt 0 ] || set -- check bad.yaml
    printf '%b' "$text" > bad.yaml
    "$bin" "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    if [ "$rc" -ne 2 ]; then
        bad "$name: exit code $rc, expected 2"; cat stderr.txt; return
    fi
    if ! grep -Eq -- "$pattern" stderr.txt; then
        bad "$name: message does not match /$pattern/"; cat stderr.txt; return
    fi
    if [ "$(grep -c . stderr.txt)" -gt 2 ]; then
        bad "$name: more than one message"; cat stderr.txt; return
    fi
    ok "$name: $(head -n 1 stderr.txt)"
}
