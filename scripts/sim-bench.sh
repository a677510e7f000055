#!/usr/bin/env bash
# The simulator is never the bottleneck: WebSocket messages/s to one client and signed REST
# orders/s on loopback, measured by Benchmarks' SimLoad (which signs every request itself).
# Starts a release `tickline sim` with the rate limits lifted, runs both loads, stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
swift build -c release --product tickline >&2
(cd Benchmarks && swift build -c release --product SimLoad >&2)
out="$(mktemp)"
.build/release/tickline sim --port 0 --weight-limit 100000000 --order-limit-10s 100000000 \
  --order-limit-1m 100000000 > "$out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q "listening on" "$out" && break; sleep 0.1; done
port="$(head -1 "$out" | sed 's/.*://')"
Benchmarks/.build/release/SimLoad ws 127.0.0.1 "$port" 100000
Benchmarks/.build/release/SimLoad rest 127.0.0.1 "$port" "${SIM_BENCH_SECONDS:-5}" "${SIM_BENCH_CONNECTIONS:-8}"
