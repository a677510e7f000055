#!/usr/bin/env bash
# Creates (once per requirements file) the Python venvs the tests use, under .build/:
#   venvs.sh ccxt      → .build/venv-ccxt    (ccxt, pytest, websockets: client suites, parity, WebSocket interop)
#   venvs.sh binance   → .build/venv-binance (python-binance, pytest)
# Prints the venv's directory. With no argument, creates both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/Tests/clients"

venv() {  # venv NAME
  local dir="$root/.build/venv-$1" req="$here/requirements-$1.txt"
  local stamp="$dir/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "venvs: creating $dir" >&2
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    echo "$want" > "$stamp"
  fi
  echo "$dir"
}

if [ $# -eq 0 ]; then
  venv ccxt >/dev/null
  venv binance >/dev/null
else
  venv "$1"
fi
