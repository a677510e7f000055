#!/usr/bin/env bash
# The REST API against its contract (docs/openapi.yaml) with schemathesis (PyPI), on a live engine:
# `tickline run` paper trading on the in-process simulator, the control plane on a port the kernel
# picks, a fresh JWT secret and store. Every check schemathesis has: status codes, content types,
# response schemas, negative data rejected, auth not ignored, no server errors. Then the engine's
# /metrics through `promtool check metrics`, and a real Prometheus server (Debian's prometheus
# package) scraping it on loopback until it reports the engine up with market events counted.
# Usage: scripts/api-contract.sh [tickline binary] (default .build/debug/tickline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${1:-.build/debug/tickline}"
venv="$(Tests/clients/venvs.sh control)"
work="$(mktemp -d /tmp/tickline-contract-XXXXXX)"
export TICKLINE_JWT_SECRET="$(openssl rand -hex 32)" TICKLINE_API_KEY=demo-key TICKLINE_API_SECRET=demo-secret
# An alert sink (a closed port: deliveries fail, counted) so that every alert metric is present.
printf '[alerts]\nwebhook_url = "http://127.0.0.1:9/hooks"\n' >"$work/tickline.toml"
"$bin" run --config "$work/tickline.toml" --layout fused-1 --idle yield --seconds 300 --store "$work/store" \
  --port 0 --metrics-port 0 --sim-history 10 >"$work/out" 2>"$work/err" &
pid=$!
prom=""
cleanup() {
  [ -n "$prom" ] && { kill -KILL "$prom" 2>/dev/null || true; wait "$prom" 2>/dev/null || true; }
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
port=""
for _ in $(seq 150); do
  port="$(grep -o 'REST http://127.0.0.1:[0-9]*' "$work/out" | grep -o '[0-9]*$' || true)"
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "api-contract: tickline run exited:"; tail -5 "$work/err"; exit 1; }
  sleep 0.2
done
[ -n "$port" ] || { echo "api-contract: the control plane did not start"; tail -5 "$work/err"; exit 1; }
metrics="$(grep -o 'metrics http://127.0.0.1:[0-9]*' "$work/out" | grep -o '[0-9]*$')"
token="$("$bin" token --user schemathesis --role trader)"
echo "api-contract: schemathesis $("$venv/bin/schemathesis" --version | grep -o '[0-9.]*$') on http://127.0.0.1:$port/api/v1"
"$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port/api/v1" \
  --header "Authorization: Bearer $token" --checks all --max-examples 25 --workers 1 --seed 1 --no-color \
  >"$work/schemathesis" 2>&1 || { cat "$work/schemathesis"; exit 1; }
grep -E "^(API Operations|  (Selected|Tested)|Test cases|  [0-9]+ generated|=+ .* in )" "$work/schemathesis" || tail -5 "$work/schemathesis"
"$venv/bin/python" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://127.0.0.1:$metrics/metrics" >"$work/metrics"
promtool check metrics <"$work/metrics"
echo "api-contract: promtool check metrics: $(grep -c '^# TYPE' "$work/metrics") families, $(grep -vc '^#' "$work/metrics") samples, OK"
# A real Prometheus scraping the engine every second.
py="$venv/bin/python"
promport="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$work/prometheus.yml" <<YML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: tickline
    static_configs: [{ targets: ["127.0.0.1:$metrics"] }]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$promport" >"$work/prometheus.log" 2>&1 &
prom=$!
query() {
  "$py" -c 'import json, sys, urllib.parse, urllib.request
try:
    r = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2])), timeout=2))
    v = r["data"]["result"]
    print(v[0]["value"][1] if v else "")
except Exception:
    print("")' "$promport" "$1"
}
up=""; events=""
for _ in $(seq 100); do
  up="$(query 'up{job="tickline"}')"; events="$(query 'sum(tickline_market_events_total)')"
  [ "$up" = "1" ] && [ -n "$events" ] && [ "${events%%.*}" -gt 0 ] 2>/dev/null && break
  sleep 0.2
done
[ "$up" = "1" ] && [ "${events%%.*}" -gt 0 ] 2>/dev/null \
  || { echo "api-contract: Prometheus did not scrape the engine (up=$up events=$events)"; tail -5 "$work/prometheus.log"; exit 1; }
echo "api-contract: $(prometheus --version 2>&1 | head -1): up{job=\"tickline\"} = 1, tickline_market_events_total = $events"
# Tuning/prometheus and Tuning/grafana: promtool checks and rule tests, and every metric they name
# present in this engine's scrape.
"$py" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://127.0.0.1:$metrics/metrics" >"$work/metrics-late"
scripts/check-observability.sh "$work/metrics-late"
echo "4 passed (the REST contract: schemathesis; the metrics: promtool; a Prometheus server scraping them; the rules and dashboard)"
