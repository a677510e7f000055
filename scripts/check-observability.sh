#!/usr/bin/env bash
# The Prometheus and Grafana files of Tuning/ checked offline with promtool (Debian's prometheus
# package, 2.42): the scrape config (which loads the rule files too), each rule file, the rule unit
# tests in Tuning/prometheus/tests/ (every alert firing and not firing, the recording rules'
# values computed by hand), and that the dashboard is valid JSON. With a saved /metrics scrape as
# the argument, also that every metric those files use exists in it
# (scripts/check-metric-references.py).
# Usage: scripts/check-observability.sh [METRICS_TEXT_FILE]
# Prints one line per check (promtool's output under a failed one) and ends with
# "observability: N passed", or "observability: N failed (which), N passed" and exit status 1;
# exit status 2 without promtool.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
metrics=""
[ $# -ge 1 ] && metrics="$(realpath -m -- "$1")"  # relative to the caller's directory
cd "$root" || exit 2
command -v promtool >/dev/null || { echo "observability: promtool not found (apt-get install prometheus)"; exit 2; }
prom=Tuning/prometheus
passed=0; failed=0; failures=()

check() {
  local name="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAILED: $name"; echo "  ${out//$'\n'/$'\n'  }"
  fi
}

check "promtool check config $prom/prometheus.yml" promtool check config "$prom/prometheus.yml"
check "promtool check rules $prom/recording-rules.yml" promtool check rules "$prom/recording-rules.yml"
check "promtool check rules $prom/alert-rules.yml" promtool check rules "$prom/alert-rules.yml"
check "promtool test rules $prom/tests/*.yml" promtool test rules "$prom"/tests/*.yml
check "Tuning/grafana/tickline.json is JSON" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' Tuning/grafana/tickline.json
if [ -n "$metrics" ]; then
  check "metric references in $1" python3 scripts/check-metric-references.py "$metrics"
fi

if [ "$failed" -gt 0 ]; then
  printf -v list '%s; ' "${failures[@]}"
  echo "observability: $failed failed (${list%; }), $passed passed"
  exit 1
fi
echo "observability: $passed passed"
