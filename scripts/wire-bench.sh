#!/usr/bin/env bash
# Wire-to-parsed latency over loopback: simulator → the engine's market-data path (MarketDataFeed:
# socket backend, WebSocket codec, BinanceStreamParser), on both socket backends, beside a plain C
# client with blocking recv reading the same simulator's stream in the same run.
#
# The simulator (release, manual clock: no market walk on the stream) publishes paced aggTrades
# (`POST /sim/pace`, one every WIRE_INTERVAL_US) whose `a` is its CLOCK_MONOTONIC ns at render,
# taken before its own fan-out and NIO write: every figure includes the simulator's wake-ups, and
# the C client's is the floor. Latency = receiver's CLOCK_MONOTONIC − stamp:
#   c/recv        after a blocking recv returned (CWireClient); the ratios are against it
#   c-spin/recv   after recv(MSG_DONTWAIT) in a busy loop returned: the like-for-like floor for
#                 the engine's spinning backends (column p50/Cspin)
#   */ingress     MarketEvent.ingressNs: after the receive completion, before the codec
#   */parsed      after BinanceStreamParser returned
# Clients run one after the other, never at once, in an order rotated each round; every round's
# p50 is printed so the noise is visible; the table pools all rounds' samples.
#
#   scripts/wire-bench.sh [rounds]          (default 5, about 5 s each)
#   SCRATCH=.build-x ...                    root package scratch path (default .build)
#   WIRE_MESSAGES=5000 WIRE_INTERVAL_US=200 WIRE_WARMUP=200
#   WIRE_SKIP_BUILD=1 ...                   use the binaries already built
#   WIRE_PIN=0:1 ...                        taskset the simulator to CPU 0 and clients to CPU 1
#                                           (default: no pinning)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-5}"
scratch="${SCRATCH:-.build}"
messages="${WIRE_MESSAGES:-5000}"
interval="${WIRE_INTERVAL_US:-200}"
warmup="${WIRE_WARMUP:-200}"
sim_cpu="" client_cpu=""
if [ -n "${WIRE_PIN:-}" ]; then sim_cpu="taskset -c ${WIRE_PIN%%:*}"; client_cpu="taskset -c ${WIRE_PIN##*:}"; fi

if [ "${WIRE_SKIP_BUILD:-0}" != 1 ]; then
  echo "wire-bench: building tickline (release, $scratch) and WireLatency, CWireClient (release, Benchmarks/.build)" >&2
  swift build -c release --product tickline --scratch-path "$scratch" >&2
  swift build -c release --package-path Benchmarks --product WireLatency >&2
  swift build -c release --package-path Benchmarks --product CWireClient >&2
fi
bin="$(swift build -c release --package-path Benchmarks --show-bin-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/wire-bench.XXXXXX")"
$sim_cpu "$scratch/release/tickline" sim --host 127.0.0.1 --port 0 --manual-clock >"$work/sim.out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/sim.out" && break; sleep 0.1; done
port="$(head -1 "$work/sim.out" | sed 's/.*://')"
[ -n "$port" ] || { cat "$work/sim.out" >&2; exit 1; }
echo "wire-bench: simulator on 127.0.0.1:$port; $rounds rounds × $messages messages (+$warmup warm-up), one every $interval µs; $(cut -d" " -f1-3 /proc/loadavg) load" >&2

run() { # client
  case "$1" in
    c) $client_cpu "$bin/CWireClient" 127.0.0.1 "$port" "$messages" "$interval" "$warmup" "$work/samples" ;;
    c-spin) $client_cpu "$bin/CWireClient" 127.0.0.1 "$port" "$messages" "$interval" "$warmup" "$work/samples" spin ;;
    *) $client_cpu "$bin/WireLatency" 127.0.0.1 "$port" "$1" "$messages" "$interval" "$warmup" "$work/samples" ;;
  esac
}
clients=(c c-spin uring poll)
for r in $(seq "$rounds"); do
  for k in 0 1 2 3; do
    c="${clients[$(((k + r - 1) % 4))]}"
    run "$c" | tee -a "$work/lines" | sed "s/^/  round $r: /" >&2
  done
done

# Pooled percentiles (nearest rank) from the raw samples; ratios against c/recv.
stats() { # file → "p50 p90 p99 p999 max n" in ns
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    n = NR; split("0.5 0.9 0.99 0.999", q, " ")
    for (i = 1; i <= 4; i++) { r = int(q[i] * n); if (r < q[i] * n) r++; if (r < 1) r = 1; printf "%d ", v[r] }
    printf "%d %d\n", v[n], n }'
}
read -r c50 _ c99 c999 _ _ <<<"$(stats "$work/samples.c.recv")"
read -r s50 _ _ _ _ _ <<<"$(stats "$work/samples.c-spin.recv")"
echo
echo "Wire-to-parsed latency, loopback, simulator → client (µs; $rounds rounds pooled; 1 msg / $interval µs)"
printf "%-7s %-8s %7s %7s %7s %8s %8s %6s  %5s %5s %7s %9s  %s\n" client stage p50 p90 p99 p99.9 max n \
  "p50/C" "p99/C" "p99.9/C" "p50/Cspin" "p50 per round"
for row in c:recv c-spin:recv uring:ingress uring:parsed poll:ingress poll:parsed; do
  cl="${row%%:*}" st="${row##*:}"
  f="$work/samples.$cl.$st"
  [ -s "$f" ] || continue
  read -r p50 p90 p99 p999 max n <<<"$(stats "$f")"
  per_round="$(awk -v c="$cl" -v s="$st" '$2 == "client=" c && $3 == "stage=" s {
    for (i = 1; i <= NF; i++) if ($i ~ /^p50_ns=/) { sub("p50_ns=", "", $i); printf "%.1f ", $i / 1000 } }' "$work/lines")"
  lost="$(awk -v c="$cl" -v s="$st" '$2 == "client=" c && $3 == "stage=" s {
    for (i = 1; i <= NF; i++) if ($i ~ /^lost=/) { sub("lost=", "", $i); t += $i } } END { print t + 0 }' "$work/lines")"
  awk -v cl="$cl" -v st="$st" -v a="$p50" -v b="$p90" -v c="$p99" -v d="$p999" -v m="$max" -v n="$n" \
      -v c50="$c50" -v c99="$c99" -v c999="$c999" -v s50="$s50" -v pr="$per_round" -v lost="$lost" 'BEGIN {
    printf "%-7s %-8s %7.1f %7.1f %7.1f %8.1f %8.1f %6d  %5.2f %5.2f %7.2f %9.2f  %s%s\n", cl, st, a / 1000, b / 1000,
      c / 1000, d / 1000, m / 1000, n, a / c50, c / c99, d / c999, a / s50, pr, (lost > 0 ? "(lost " lost ")" : "") }'
done
