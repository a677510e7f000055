#!/usr/bin/env bash
# The closing line of `make test`: "tests: N passed, N failed" over the Swift Testing log ($1) and
# the pytest logs that follow it ($2…).
set -uo pipefail
swift_log="$1"; shift
total=$(grep -oE "Test run with [0-9]+ tests?" "$swift_log" | grep -oE "[0-9]+" | tail -1)
failed=$(grep -cE "^✘ Test .* failed after" "$swift_log")
passed=$(( ${total:-0} - failed ))
for log in "$@"; do
  while read -r line; do
    p=$(grep -oE "[0-9]+ passed" <<<"$line" | grep -oE "[0-9]+"); f=$(grep -oE "[0-9]+ (failed|errors?)" <<<"$line" | awk '{s+=$1} END {print s+0}')
    passed=$(( passed + ${p:-0} )); failed=$(( failed + ${f:-0} ))
  done < <(grep -E "^[0-9]+ (passed|failed)|^=+ .*(passed|failed).* in [0-9.]+s" "$log" || true)
done
echo "tests: ${passed} passed, ${failed} failed"
