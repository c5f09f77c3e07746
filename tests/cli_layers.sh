#!/bin/bash
# Layering: each src/ module includes only modules below it, app/ includes
# only public headers and its own (app/*.h), and suanli/sim.h (the top-level
# API) is included only by src/sim and app.  The order is docs/architecture.md's:
#   core < trace < power < fleet < perf < facility < faults < factory < config < world <
#   workload = report < sim
# Usage: cli_layers.sh SUANLI_BINARY SOURCE_DIR (the binary is unused).
set -u
src="${2:?source dir}"
cd "$src" || exit 1
rank() {
    case "$1" in
    core) echo 0 ;; trace) echo 1 ;; power) echo 2 ;; fleet) echo 3 ;; perf) echo 4 ;;
    facility) echo 5 ;; faults) echo 6 ;; factory) echo 7 ;; config) echo 8 ;; world) echo 9 ;;
    workload | report) echo 10 ;; sim) echo 11 ;; *) echo -1 ;;
    esac
}
fail=0
checked=0
for f in src/*/*.c src/*/*.h; do
    mod=$(basename "$(dirname "$f")")
    r=$(rank "$mod")
    if [ "$r" -lt 0 ]; then
        echo "FAIL: $f: module '$mod' has no layer (add it to tests/cli_layers.sh and docs/architecture.md)"
        fail=1
        continue
    fi
    while IFS= read -r inc; do
        dep=${inc%%/*}
        checked=$((checked + 1))
        if [ "$dep" = suanli ]; then
            if [ "$inc" = suanli/sim.h ] && [ "$mod" != sim ]; then
                echo "FAIL: $f includes $inc (only src/sim and app may)"
                fail=1
            fi
            continue
        fi
        d=$(rank "$dep")
        if [ "$d" -lt 0 ] || [ "$d" -gt "$r" ] || { [ "$d" -eq "$r" ] && [ "$dep" != "$mod" ]; }; then
            echo "FAIL: $f ($mod) includes $inc ($dep): not a layer below"
            fail=1
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
for f in app/*.c app/*.h; do
    [ -e "$f" ] || continue
    while IFS= read -r inc; do
        checked=$((checked + 1))
        case "$inc" in
        suanli/*) ;;
        */*) echo "FAIL: $f includes $inc: app/ may include only public headers (suanli/*.h) and its own"; fail=1 ;;
        *)
            # The command's own headers (app/cli.h), never one of src/.
            if [ ! -e "app/$inc" ]; then
                echo "FAIL: $f includes $inc: app/ may include only public headers (suanli/*.h) and its own"
                fail=1
            fi
            ;;
        esac
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
# The checker must have seen the includes it is meant to check.
if [ "$checked" -lt 50 ]; then
    echo "FAIL: only $checked includes found: is SOURCE_DIR right?"
    fail=1
fi
if [ "$fail" -eq 0 ]; then
    echo "layers: $checked includes checked, 0 violations"
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $fail
