#!/bin/bash
# Weather files through the command line (issue 7): whatever is wrong with
# site.weather, the run must end at once with exit code 2 and one message,
# never hang (a FIFO, /dev/zero), never exit 0 with NaN weather, and never
# leave output behind.  Every command runs under `timeout`, so a reader that
# blocks fails this test instead of hanging it.
# Usage: cli_weather.sh path/to/suanli source-dir
set -u
bin=$1
. "$(dirname "$0")/harness.sh"
cd "$work"
as_user=() # a command prefix that runs the binary as another user

# The binary, as as_user, stopped after 20 s (exit 124).
run_bin() {
    timeout 20 "${as_user[@]}" "$bin" "$@"
}

# expect_bad NAME EXPECTED-REGEX ARGS... : exit 2, stderr matches, no out/.
expect_bad() {
    local name=$1 pattern=$2
    shift 2
    rm -rf out
    run_bin "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    if [ "$rc" -eq 124 ]; then
        echo "FAIL $name: still running after 20 s"; fail=$((fail + 1)); return
    fi
    if [ "$rc" -ne 2 ]; then
        echo "FAIL $name: exit code $rc, expected 2"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    if ! grep -Eq -- "$pattern" stderr.txt; then
        echo "FAIL $name: message does not match /$pattern/:"; cat stderr.txt
        fail=$((fail + 1)); return
    fi
    if [ -e out ]; then
        echo "FAIL $name: output left behind"; ls -laR; fail=$((fail + 1)); return
    fi
    if [ "$(grep -c . stderr.txt)" -gt 2 ]; then
        echo "FAIL $name: expected one message"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    echo "ok   $name: $(head -n 1 stderr.txt)"
    pass=$((pass + 1))
}

# expect_ok NAME ARGS... : exit 0 within the time limit.
expect_ok() {
    local name=$1
    shift
    run_bin "$@" >stdout.txt 2>stderr.txt
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit code $rc, expected 0"; cat stderr.txt; fail=$((fail + 1)); return
    fi
    echo "ok   $name"
    pass=$((pass + 1))
}

# epw FILE [ROW FIELD7 FIELD9 FIELD10]: a well-formed typical year, with
# data row ROW (1-based) given those dry bulb, humidity and pressure.
epw() {
    awk -v row="${2:-0}" -v t="${3:-}" -v rh="${4:-}" -v p="${5:-}" 'BEGIN {
        print "LOCATION,Testville,Test,CHN,TEST,000000,40.00,117.00,8.0,500.0"
        print "DESIGN CONDITIONS,0"; print "TYPICAL/EXTREME PERIODS,0"
        print "GROUND TEMPERATURES,0"; print "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0"
        print "COMMENTS 1,cli_weather.sh"; print "COMMENTS 2,"
        print "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31"
        split("31 28 31 30 31 30 31 31 30 31 30 31", md, " ")
        r = 0
        for (m = 1; m <= 12; m++) for (d = 1; d <= md[m]; d++) for (h = 1; h <= 24; h++) {
            r++
            if (r == row) printf "2005,%d,%d,%d,0,?,%s,0,%s,%s,0,0\n", m, d, h, t, rh, p
            else printf "2005,%d,%d,%d,0,?,%.1f,0,%d,%d,0,0\n", m, d, h, 15 + 10 * sin(r / 1394.0), 40 + r % 50, 99000
        }
    }' > "$1"
}

printf 'fleet:\n  servers: 16\n' > good.yaml

expect_bad "/dev/zero" "/dev/zero: is a character device, not an EPW weather file" \
    run good.yaml --set site.weather=/dev/zero
expect_bad "/dev/null" "/dev/null: is a character device" run good.yaml --set site.weather=/dev/null
mkfifo fifo.epw
expect_bad "FIFO without a writer" "fifo.epw: is a named pipe \(FIFO\)" \
    run good.yaml --set site.weather=fifo.epw
mkdir dir.epw
expect_bad "directory" "dir.epw: is a directory" run good.yaml --set site.weather=dir.epw
truncate -s 17M big.epw
expect_bad "file over the size limit" "big.epw: the weather file is larger than the limit" \
    run good.yaml --set site.weather=big.epw
expect_bad "missing file" "nofile.epw: EPW weather file not found" \
    run good.yaml --set site.weather=nofile.epw
ln -s loop2.epw loop1.epw
ln -s loop1.epw loop2.epw
expect_bad "symlink loop" "loop1.epw: cannot open the EPW weather file" \
    run good.yaml --set site.weather=loop1.epw
# Unreadable: as root every file is readable, so drop to nobody if we can.
epw unreadable.epw
chmod 000 unreadable.epw
can_drop=0
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" version >/dev/null 2>&1; then
    chmod 755 "$work"
    chmod 644 good.yaml
    can_drop=1
fi
if [ "$(id -u)" -ne 0 ] || [ "$can_drop" -eq 1 ]; then
    [ "$can_drop" -eq 1 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    expect_bad "unreadable file" "unreadable.epw: cannot open the EPW weather file: Permission" \
        run good.yaml --set site.weather=unreadable.epw
    as_user=()
else
    echo "skip unreadable file: running as root without setpriv"
fi

# Each value in its EPW range, together no moist air: exit 2, not NaN.
epw boil.epw 4321 69.9 50 31001
expect_bad "row without a wet bulb" "boil.epw:4329:[0-9]+: no moist-air state: dry-bulb 69.9 C" \
    run good.yaml --set site.weather=boil.epw
epw hot.epw 100 500 50 99000
expect_bad "500 C is out of range, not missing" "hot.epw:108:[0-9]+: dry-bulb temperature 500 C is out of range" \
    run good.yaml --set site.weather=hot.epw

# A UTF-8 byte order mark is accepted.
epw plain.epw
{ printf '\357\273\277'; cat plain.epw; } > bom.epw
expect_ok "EPW file with a UTF-8 BOM" check good.yaml --set site.weather=bom.epw
expect_ok "the same file without it" check good.yaml --set site.weather=plain.epw

summary
