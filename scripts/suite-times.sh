#!/usr/bin/env bash
# Summarises a `swift test` log: each Swift Testing suite's wall time (slowest first), then one
# closing line "tests: N passed, N failed" for CI.
set -uo pipefail
log="$1"
echo "== per-suite wall time =="
grep -E "Suite .* (passed|failed) after" "$log" \
  | sed -E 's/.*Suite ([A-Za-z0-9_]+) (passed|failed) after ([0-9.]+) seconds.*/\3 s  \1 (\2)/' | sort -rn
total=$(grep -oE "Test run with [0-9]+ tests?" "$log" | grep -oE "[0-9]+" | tail -1)
failed=$(grep -cE "^✘ Test .* failed after" "$log")
total=${total:-0}
echo "tests: $((total - failed)) passed, ${failed} failed"
