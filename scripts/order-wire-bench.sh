#!/usr/bin/env bash
# Wire-to-wire latency over loopback: simulator tick → client → order read by the simulator.
#
# One `tickline sim` (release) on a free 127.0.0.1 port publishes paced aggTrades (`POST
# /sim/pace`; `a` = its CLOCK_MONOTONIC ns at render) and records when it reads each order
# (`GET /sim/latency?after_ns=STAMP`: the first order read at or after the stamp). Clients, one
# after the other, never at once:
#   c      COrderClient: plain WebSocket + keep-alive REST socket, busy recv(MSG_DONTWAIT), a
#          fixed-shape MARKET order signed with HMAC-SHA256 (OpenSSL), sent in one send(): the floor
#   uring  OrderWireLatency: the engine's live parse stage, risk stage and order stage
#          (BinanceGateway) on one thread, io_uring backend, a reflex signal per tick
#   poll   the same on the polling backend
# Stages per sample (ns): total (stamp → the simulator read the order), in (stamp → bytes in
# hand), proc (bytes in hand → the send starts: C calls send(), the engine's order stage calls its
# loop's flush()), out (total − in − proc: the send syscall, loopback, the simulator's read path),
# send (the send call's own duration, for information), and for the engine parse / risk / order
# (proc's split).
# The order per round is rotated; every round's p50 is printed; the tables pool all rounds.
#
#   scripts/order-wire-bench.sh [rounds]       (default 3; about 30 s per client and round)
#   SCRATCH=.build-x ...                       root package scratch path (default .build)
#   BENCH_SCRATCH=Benchmarks/.build-x ...      Benchmarks package scratch path (default Benchmarks/.build)
#   ORDER_MESSAGES=500 ORDER_INTERVAL_US=50000 ORDER_WARMUP=50
#   ORDER_SKIP_BUILD=1 ...                     use the binaries already built
#   ORDER_PIN=0:1 ...                          taskset the simulator to CPU 0 and clients to CPU 1
#   ORDER_SIM_STEP_MS=1000 ...                 the simulator's market step (see the note below)
#   ORDER_SIM_ARGS="--seed 7" ...              extra simulator arguments
#
# The simulator runs on its live clock with a slow market step (`--step-ms 1000`): once a second
# the walk moves, re-centres and refills the synthetic book and prints 0-2 trades (plus mark
# price, kline and book ticker for the engine's subscriptions), a few background messages per
# second beside 20 paced ticks. Without steps the engine's round trips eat the book level by level
# (after ~250 round trips closes fill in part; in one such run the simulator then died, SIGILL). Not
# `--manual-clock`: a frozen venue clock rejects every signed request whose timestamp is ≥ 1 s
# past the time sync (-1021; the engine then re-syncs and retries, one extra round trip per
# sample) and never resets its rate-limit windows. Its rate limits are raised (the engine sends
# entry, stop, take-profit and close per tick, ~80 orders/s at the default pace).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-3}"
scratch="${SCRATCH:-.build}"
bench_scratch="${BENCH_SCRATCH:-Benchmarks/.build}"
messages="${ORDER_MESSAGES:-500}"
interval="${ORDER_INTERVAL_US:-50000}"
warmup="${ORDER_WARMUP:-50}"
sim_cpu="" client_cpu=""
if [ -n "${ORDER_PIN:-}" ]; then sim_cpu="taskset -c ${ORDER_PIN%%:*}"; client_cpu="taskset -c ${ORDER_PIN##*:}"; fi

if [ "${ORDER_SKIP_BUILD:-0}" != 1 ]; then
  echo "order-wire-bench: building tickline (release, $scratch), OrderWireLatency and COrderClient (release, $bench_scratch)" >&2
  swift build -c release --product tickline --scratch-path "$scratch" >&2
  swift build -c release --package-path Benchmarks --scratch-path "$bench_scratch" --product OrderWireLatency >&2
  swift build -c release --package-path Benchmarks --scratch-path "$bench_scratch" --product COrderClient >&2
fi
bin="$(swift build -c release --package-path Benchmarks --scratch-path "$bench_scratch" --show-bin-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/order-wire-bench.XXXXXX")"
sim="" client=""
cleanup() {
  for p in $client $sim; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC2086  # ORDER_SIM_ARGS is a word list
$sim_cpu "$scratch/release/tickline" sim --host 127.0.0.1 --port 0 --step-ms "${ORDER_SIM_STEP_MS:-1000}" \
  --weight-limit 100000000 --order-limit-10s 100000000 --order-limit-1m 100000000 ${ORDER_SIM_ARGS:-} \
  >"$work/sim.out" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sim.out" && break; sleep 0.1; done
port="$(head -1 "$work/sim.out" | sed 's/.*://')"
[ -n "$port" ] || { cat "$work/sim.out" >&2; exit 1; }
echo "order-wire-bench: simulator on 127.0.0.1:$port; $rounds rounds × $messages ticks (+$warmup warm-up), one every $interval µs; $(cut -d" " -f1-3 /proc/loadavg) load" >&2

run() { # client → its output lines in $work/out
  case "$1" in
    c) $client_cpu "$bin/COrderClient" 127.0.0.1 "$port" "$messages" "$interval" "$warmup" "$work/samples" >"$work/out" &
      ;;
    *) $client_cpu "$bin/OrderWireLatency" 127.0.0.1 "$port" "$1" "$messages" "$interval" "$warmup" "$work/samples" \
        >"$work/out" &
      ;;
  esac
  client=$!
  local rc=0
  wait "$client" || rc=$?
  client=""
  if [ "$rc" != 0 ]; then cat "$work/out" >&2; echo "order-wire-bench: $1 failed ($rc)" >&2; exit 1; fi
}
clients=(c uring poll)
for r in $(seq "$rounds"); do
  for k in 0 1 2; do
    c="${clients[$(((k + r - 1) % 3))]}"
    run "$c"
    tee -a "$work/lines" <"$work/out" | grep " stage=total " | sed "s/^/  round $r: /" >&2
  done
done

# Pooled percentiles (nearest rank) from the raw samples.
stats() { # file → "p50 p90 p99 p999 max n" in ns
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    n = NR; split("0.5 0.9 0.99 0.999", q, " ")
    for (i = 1; i <= 4; i++) { r = int(q[i] * n); if (r < q[i] * n) r++; if (r < 1) r = 1; printf "%d ", v[r] }
    printf "%d %d\n", v[n], n }'
}
field() { # client stage key → the values of key= over the rounds' lines
  awk -v c="$1" -v s="$2" -v k="$3" '$2 == "client=" c && $3 == "stage=" s {
    for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { sub(k "=", "", $i); print $i } }' "$work/lines"
}
read -r c50 _ c99 _ _ _ <<<"$(stats "$work/samples.c.total")"
echo
echo "Wire-to-wire latency, loopback: paced aggTrade (simulator) → client → order read by the simulator"
echo "(µs; $rounds rounds pooled; 1 tick / $interval µs; engine = parse + reflex signal + risk + order stage on one thread)"
printf "%-6s %7s %7s %7s %8s %8s %5s  %6s %6s  %s\n" client p50 p90 p99 p99.9 max n "p50/C" "p99/C" "p50 per round"
for cl in c uring poll; do
  f="$work/samples.$cl.total"
  [ -s "$f" ] || continue
  read -r p50 p90 p99 p999 max n <<<"$(stats "$f")"
  per_round="$(field "$cl" total p50_ns | awk '{ printf "%.1f ", $1 / 1000 }')"
  notes="$(for k in lost skipped invalid; do t="$(field "$cl" total "$k" | awk '{ t += $1 } END { print t + 0 }')"
    [ "$t" = 0 ] || printf "%s %s " "$k" "$t"; done)"
  awk -v cl="$cl" -v a="$p50" -v b="$p90" -v c="$p99" -v d="$p999" -v m="$max" -v n="$n" -v c50="$c50" -v c99="$c99" \
      -v pr="$per_round" -v notes="$notes" 'BEGIN {
    printf "%-6s %7.1f %7.1f %7.1f %8.1f %8.1f %5d  %6.2f %6.2f  %s%s\n", cl, a / 1000, b / 1000, c / 1000, d / 1000,
      m / 1000, n, a / c50, c / c99, pr, (notes != "" ? "(" notes ")" : "") }'
done
echo
echo "Where the time goes: p50 of each stage (µs; p50s of parts do not add up to the p50 of the whole)"
echo "  in = stamp → bytes in hand; proc = → the send starts (C: send() called; engine: the order stage's loop flush());"
echo "  out = total − in − proc (send syscall, loopback, the simulator's read path); send = the send call itself;"
echo "  parse / risk / order = proc's split (engine: parse stage + reflex signal, risk stage, order stage up to flush)"
printf "%-6s %7s %7s %7s %7s   %7s   %7s %7s %7s\n" client total in proc out send parse risk order
for cl in c uring poll; do
  [ -s "$work/samples.$cl.total" ] || continue
  line="$(printf "%-6s" "$cl")"
  for st in total in proc out - send - parse risk order; do
    if [ "$st" = - ]; then line+="  "; continue; fi
    if [ -s "$work/samples.$cl.$st" ]; then
      line+="$(printf " %7.1f" "$(stats "$work/samples.$cl.$st" | awk '{ print $1 / 1000 }')")"
    else
      line+="$(printf " %7s" -)"
    fi
  done
  echo "$line"
done
for cl in uring poll; do
  [ -s "$work/samples.$cl.total" ] || continue
  read -r e50 _ _ _ _ _ <<<"$(stats "$work/samples.$cl.total")"
  awk -v cl="$cl" -v e="$e50" -v c="$c50" 'BEGIN {
    printf "%s: engine p50 ÷ C p50 = %.2f (goal ≤ 1.5: %s)\n", cl, e / c, (e / c <= 1.5 ? "met" : "not met") }'
done
