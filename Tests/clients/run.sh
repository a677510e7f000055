#!/usr/bin/env bash
# The real-client suites: unmodified ccxt (and ccxt.pro) and python-binance against `tickline sim`.
# Creates one venv per client under .build/ (once per requirements file), then runs pytest.
# Usage: Tests/clients/run.sh   (TICKLINE_BIN overrides the binary, default .build/debug/tickline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/Tests/clients"

venv() {  # venv NAME REQUIREMENTS
  local dir="$root/.build/venv-$1" req="$2"
  local stamp="$dir/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "clients: creating $dir" >&2
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
  echo "$dir"
}

ccxt_env="$(venv ccxt "$here/requirements-ccxt.txt")"
binance_env="$(venv binance "$here/requirements-binance.txt")"
cd "$here"
status=0
"$ccxt_env/bin/python" -m pytest -q -p no:cacheprovider test_ccxt.py test_message_shapes.py test_determinism.py test_sim_protocol.py ../parity/test_capture_parity.py || status=$?
"$binance_env/bin/python" -m pytest -q -p no:cacheprovider test_python_binance.py || status=$?
exit $status
