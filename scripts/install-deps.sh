#!/usr/bin/env bash
# Installs the Debian packages the build needs, only if missing (idempotent).
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(liburing-dev liblmdb-dev libnuma-dev libssl-dev pkg-config openssl gzip systemd prometheus "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "tickline: missing Debian packages: ${missing[*]}" >&2
  echo "tickline: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "tickline: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
