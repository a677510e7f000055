#!/usr/bin/env bash
# Prints each Swift Testing suite's wall time from a `swift test` log, slowest first.
set -uo pipefail
echo "== per-suite wall time =="
grep -E "Suite .* (passed|failed) after" "$1" \
  | sed -E 's/.*Suite ([A-Za-z0-9_]+) (passed|failed) after ([0-9.]+) seconds.*/\3 s  \1 (\2)/' | sort -rn
