#!/usr/bin/env bash
# The closing line of `make test`: "tests: N passed, N failed" over the Swift Testing logs (those
# with a "Test run with N tests" line) and the pytest / schemathesis logs among the arguments.
set -uo pipefail
passed=0; failed=0
for log in "$@"; do
  if grep -qE "Test run with [0-9]+ tests?" "$log"; then
    total=$(grep -oE "Test run with [0-9]+ tests?" "$log" | grep -oE "[0-9]+" | tail -1)
    f=$(grep -cE "^✘ Test .* failed after" "$log")
    passed=$(( passed + ${total:-0} - f )); failed=$(( failed + f ))
    continue
  fi
  while read -r line; do
    p=$(grep -oE "[0-9]+ passed" <<<"$line" | grep -oE "[0-9]+"); f=$(grep -oE "[0-9]+ (failed|errors?)" <<<"$line" | awk '{s+=$1} END {print s+0}')
    passed=$(( passed + ${p:-0} )); failed=$(( failed + ${f:-0} ))
  done < <(grep -E "^[0-9]+ (passed|failed)|^=+ .*(passed|failed).* in [0-9.]+s" "$log" || true)
done
echo "tests: ${passed} passed, ${failed} failed"
