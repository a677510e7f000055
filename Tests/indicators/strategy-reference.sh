#!/usr/bin/env bash
# Expected signal sequence for TicklineStrategyTests: runs scripts/strategy_reference.py (TA-Lib
# indicators and an independent statement of the strategies and the combiner) over
# BTCUSDT-PERP-5m into .build/strategy-reference/ (about 3 MB of CSV, never committed; < 1 s).
# Uses the venv of Tests/indicators/reference.sh, which calls this script at its end (so
# `make test` runs it); run alone, it lets reference.sh create the venv first if it is missing.
# Override the data folder with TICKLINE_KLINES.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.build/venv-ta"
data="${TICKLINE_KLINES:-$root/../shared/data/klines}"
out="$root/.build/strategy-reference"

if ! "$venv/bin/python" -c 'import talib, numpy' 2>/dev/null; then
    exec "$root/Tests/indicators/reference.sh"  # creates the venv, then runs this script again
fi
"$venv/bin/python" "$root/scripts/strategy_reference.py" --data "$data" --out "$out"
