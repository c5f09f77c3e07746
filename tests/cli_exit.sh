#!/bin/bash
# Exit codes when output cannot be written or input cannot be read.
#
# Output that does not reach stdout (/dev/full stands for a full disk) fails
# every command with exit 1 and one message, and `check` then gives no
# verdict; a command with nothing to print (run -q) still succeeds.  A
# reader that closes the pipe ends the command by SIGPIPE (exit 141, as
# cat); with SIGPIPE ignored, the EPIPE is exit 1 with a message.  A run
# whose output files hit a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored:
# what a full disk does to a write) exits 1 naming the file and leaves no
# temporary file.  A scenario that cannot be opened (missing, a directory,
# through a file, a symlink loop, unreadable) is bad input: exit 2.
#
# Usage: cli_exit.sh path/to/suanli source-dir.  SUANLI_WRAP, when set, is
# put before the binary (e.g. SUANLI_WRAP="valgrind -q --error-exitcode=99").
set -u
bin=$1
wrap=${SUANLI_WRAP:-}
. "$(dirname "$0")/harness.sh"
cd "$work"

# sl ARGS...: the binary, under the wrapper when there is one.
sl() { $wrap "$bin" "$@"; }

# No temporary file anywhere under the work folder.
no_temps() { [ -z "$(find . -name '*.tmp*' -print -quit)" ]; }

# expect_code NAME CODE REGEX COMMAND...: COMMAND (a function or program,
# its stdout already redirected by the caller if needed) exits with CODE and
# its stderr matches REGEX ("" for none expected).
expect_code() {
    local name=$1 code=$2 pattern=$3
    shift 3
    "$@" 2>stderr.txt
    local rc=$?
    if [ "$rc" -ne "$code" ]; then
        bad "$name: exit code $rc, expected $code"; cat stderr.txt; return
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" stderr.txt; then
        bad "$name: message does not match /$pattern/:"; cat stderr.txt; return
    fi
    if grep -qi -E 'segmentation|sanitizer|abort|^==[0-9]+==' stderr.txt; then
        bad "$name: crash or memory error"; cat stderr.txt; return
    fi
    ok "$name${pattern:+: $(grep -m1 . stderr.txt)}"
}

printf 'fleet:\n  servers: 16\nrun:\n  duration: 2h\n' > good.yaml
short=(--set run.duration=2h --set fleet.servers=16)

# ---- stdout on a full disk ----

full() { sl "$@" >/dev/full; }
nospace="cannot write to standard output: (No space left on device|an earlier write failed)"
expect_code "show-default to a full disk" 1 "$nospace" full show-default
expect_code "keys to a full disk" 1 "$nospace" full keys
expect_code "catalog to a full disk" 1 "$nospace" full catalog
expect_code "version to a full disk" 1 "$nospace" full version
expect_code "help to a full disk" 1 "$nospace" full help
expect_code "help run to a full disk" 1 "$nospace" full help run
expect_code "run --help to a full disk" 1 "$nospace" full run --help
expect_code "check to a full disk" 1 "$nospace" full check good.yaml
if grep -q "is valid" stderr.txt; then bad "check to a full disk: still says valid"; fi
expect_code "check of the default to a full disk" 1 "$nospace" full check
expect_code "run's result lines to a full disk" 1 "$nospace" full run good.yaml --out r1
[ -f r1/summary.json ] && ok "run to a full disk: the results are written" ||
    bad "run to a full disk: no r1/summary.json"
expect_code "run -q prints nothing: a full stdout is no error" 0 "" full run -q good.yaml --out r2
# Bad input keeps its own code.
expect_code "bad input to a full disk stays bad input" 2 "cannot open scenario file" \
    full check nope.yaml
# Sanity: the same commands succeed on a working stdout.
tofile() { rm -f out.txt; sl "$@" >out.txt && [ -s out.txt ]; }
for c in show-default keys catalog version; do
    expect_code "$c to a file" 0 "" tofile "$c"
done

# ---- a reader that stops early ----

# The reader (true) is gone before the command starts writing.
early() { (sleep 0.3; sl "$@") | true; return "${PIPESTATUS[0]}"; }
expect_code "keys into a closed pipe: SIGPIPE" 141 "" early keys
if [ -s stderr.txt ]; then bad "keys into a closed pipe: a message"; cat stderr.txt; fi
ignored() { (trap '' PIPE; early "$@"); }
expect_code "keys into a closed pipe, SIGPIPE ignored" 1 \
    "cannot write to standard output: Broken pipe" ignored keys
expect_code "check into a closed pipe, SIGPIPE ignored" 1 \
    "cannot write to standard output: Broken pipe" ignored check good.yaml

# ---- output files on a full disk ----

# The run's files are limited to 1 KiB (bash's ulimit -f counts KiB).
limited() { (trap '' XFSZ; ulimit -f 1; sl "$@"); }
expect_code "run with its files past the size limit" 1 \
    "^suanli: error: lim/([a-z-]+/)?[a-z_]+\.(json|csv|yaml): cannot write output file: File too large" \
    limited run -q good.yaml --out lim
no_temps && ok "run past the size limit: no temporary file" ||
    { bad "run past the size limit: temporary files left"; find . -name '*.tmp*'; }

# ---- scenario files that cannot be opened: all bad input ----

expect_code "missing scenario (run)" 2 "nope.yaml: cannot open scenario file: No such file" \
    sl run nope.yaml --out m
expect_code "missing scenario (check)" 2 "nope.yaml: cannot open scenario file: No such file" \
    sl check nope.yaml
mkdir adir
expect_code "directory as scenario" 2 "adir: is a directory" sl check adir
expect_code "scenario through a file" 2 "good.yaml/x.yaml: cannot open scenario file: Not a directory" \
    sl check good.yaml/x.yaml
ln -s loop loop
expect_code "scenario in a symlink loop" 2 "loop: cannot open scenario file: Too many levels" \
    sl check loop
cp good.yaml secret.yaml
chmod 000 secret.yaml
denied="secret.yaml: cannot open scenario file: Permission denied"
if [ "$(id -u)" -ne 0 ]; then
    expect_code "unreadable scenario (run)" 2 "$denied" sl run secret.yaml --out u
    expect_code "unreadable scenario (check)" 2 "$denied" sl check secret.yaml
elif command -v setpriv >/dev/null && chmod 755 "$work" &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin"; then
    # Root reads anything: run the command as nobody, in a folder nobody
    # can enter but not write.
    nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups $wrap "$bin" "$@"; }
    expect_code "unreadable scenario (run, as nobody)" 2 "$denied" nobody run secret.yaml --out u
    expect_code "unreadable scenario (check, as nobody)" 2 "$denied" nobody check secret.yaml
else
    echo "skip unreadable scenario: running as root without setpriv, or nobody cannot run $bin"
fi
[ -e m ] || [ -e u ] && bad "a scenario that cannot be opened left an output folder"

summary
