#!/usr/bin/env bash
# Expected indicator values for TicklineIndicatorsTests: creates the venv .build/venv-ta
# (ta-lib 0.8.2, whose wheel bundles the TA-Lib C library, talipp and numpy, pinned) if it is
# missing, then runs scripts/indicator_reference.py over ../shared/data/klines/ into
# .build/indicator-reference/ (about 35 MB of CSV, never committed; 2-3 s).
# `make test` runs this before `swift test`, and then Tests/indicators/strategy-reference.sh.
# Override the data folder with TICKLINE_KLINES.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.build/venv-ta"
data="${TICKLINE_KLINES:-$root/../shared/data/klines}"
out="$root/.build/indicator-reference"
pins=(ta-lib==0.8.2 talipp==2.7.0 numpy==2.4.6)

if ! "$venv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'
import importlib.metadata, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    assert importlib.metadata.version(name) == version, pin
PY
then
    echo "indicator reference: creating $venv (${pins[*]})" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
fi
"$venv/bin/python" "$root/scripts/indicator_reference.py" --data "$data" --out "$out"
# The strategies' expected signals (TicklineStrategyTests) use the same venv.
"$root/Tests/indicators/strategy-reference.sh"
