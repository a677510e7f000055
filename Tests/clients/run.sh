#!/usr/bin/env bash
# The real-client suites: unmodified ccxt (and ccxt.pro) and python-binance against `tickline sim`.
# Creates one venv per client under .build/ (once per requirements file), then runs pytest.
# Usage: Tests/clients/run.sh   (TICKLINE_BIN overrides the binary, default .build/debug/tickline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/Tests/clients"

ccxt_env="$("$here/venvs.sh" ccxt)"
binance_env="$("$here/venvs.sh" binance)"
cd "$here"
status=0
"$ccxt_env/bin/python" -m pytest -q -p no:cacheprovider test_ccxt.py test_message_shapes.py test_determinism.py test_sim_protocol.py ../parity/test_capture_parity.py || status=$?
"$binance_env/bin/python" -m pytest -q -p no:cacheprovider test_python_binance.py || status=$?
exit $status
