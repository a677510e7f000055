#!/usr/bin/env bash
# Parser throughput on the recorded Binance USD-M capture: TicklineBinance.BinanceStreamParser
# beside simdjson ondemand (C++, Debian libsimdjson-dev) and Foundation JSONDecoder, interleaved
# in one process (ParserCompare), then the package-benchmark proof of mallocs per message
# (ParserBenchmarks), and optionally (CALLGRIND=1) instructions per message by kind.
#
#   scripts/parser-bench.sh [rounds]        (default 9 interleaved rounds)
#   CALLGRIND=1 scripts/parser-bench.sh     (adds the callgrind step: valgrind, ~1 min)
#   SKIP_PACKAGE_BENCHMARK=1 ...            (ParserCompare only)
#   TICKLINE_CAPTURE_DIR=/path ...          (folder with btcusdt_20240808.gz and ethusdt_20240808.gz)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="$root/Benchmarks"
rounds="${1:-9}"

need=(libsimdjson-dev pkg-config)
[ "${CALLGRIND:-0}" = 1 ] && need+=(valgrind)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "parser-bench: missing Debian packages: ${missing[*]}" >&2
    echo "parser-bench: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "parser-bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

echo "parser-bench: building ParserCompare (release)" >&2
swift build -c release --package-path "$pkg" --product ParserCompare >&2
bin="$(swift build -c release --package-path "$pkg" --show-bin-path)/ParserCompare"

echo "parser-bench: ParserCompare $rounds" >&2
"$bin" "$rounds"

if [ "${SKIP_PACKAGE_BENCHMARK:-0}" != 1 ]; then
  echo "parser-bench: package-benchmark ParserBenchmarks (mallocs per message)" >&2
  (cd "$pkg" && swift package --disable-sandbox benchmark --target ParserBenchmarks --no-progress)
fi

if [ "${CALLGRIND:-0}" = 1 ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/parser-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  # valgrind 3.19 cannot read Swift 6.3's DWARF (PLATFORM-NOTES G7), and Foundation's Process
  # fails under valgrind: hand it a stripped copy and decompressed capture files.
  cp "$bin" "$work/ParserCompare"
  objcopy --strip-debug "$work/ParserCompare"
  dir="${TICKLINE_CAPTURE_DIR:-/work/shared/data/binance-usdm-capture}"
  files=""
  for f in btcusdt_20240808 ethusdt_20240808; do
    gzip -dc "$dir/$f.gz" >"$work/$f.txt"
    files="${files:+$files:}$work/$f.txt"
  done
  ir() { # impl passes kind
    local out="$work/cg.$1.$2.$3"
    TICKLINE_CAPTURE_FILES="$files" valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$work/ParserCompare" callgrind "$1" "$2" "$3" >"$out.stdout" 2>"$out.stderr" || { cat "$out.stderr" >&2; exit 1; }
    awk '/^summary:/ { print $2 }' "$out"
  }
  echo "instructions per message (callgrind, (Ir(3 passes) - Ir(1 pass)) / 2 / messages):"
  for kind in bookTicker trade depthUpdate; do
    line="  $kind:"
    for impl in swift simdjson; do
      a="$(ir "$impl" 1 "$kind")"; b="$(ir "$impl" 3 "$kind")"
      n="$(awk '{ print $4 }' "$work/cg.$impl.1.$kind.stdout" | cut -d= -f2)"
      line="$line $impl $(awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.0f", (b - a) / 2 / n }')"
    done
    echo "$line"
  done
  # Self Ir per message by function, start-up removed: (3 passes - 1 pass) / 2 / messages.
  self_ir() { callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null | grep -E '^ *[0-9,]+ \(' \
    | grep -v 'PROGRAM TOTALS' | sed -E 's/^ *([0-9,]+) \([^)]*\) +/\1\t/' | tr -d ','; }
  for kind in bookTicker depthUpdate; do
    n="$(awk '{ print $4 }' "$work/cg.swift.1.$kind.stdout" | cut -d= -f2)"
    echo "  Swift self instructions per $kind message, top functions:"
    awk -F'\t' -v n="$n" 'NR == FNR { one[$2] = $1; next } { d[$2] = ($1 - one[$2]) / 2 / n }
      END { for (k in d) if (d[k] >= 1) printf "%10.0f  %s\n", d[k], k }' \
      <(self_ir "$work/cg.swift.1.$kind") <(self_ir "$work/cg.swift.3.$kind") | sort -rn | head -8 | cut -c1-170
  done
fi
