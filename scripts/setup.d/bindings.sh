#!/usr/bin/env bash
# Installs what the bindings' test suites need (scripts/test.d/bindings.sh). Idempotent.
# Python tools go into the python3 on PATH (the one the tests use); Node deps via npm ci;
# valgrind and pkg-config via apt when missing. Nothing is fetched outside the registries.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=python3
missing=()
$PY -c 'import maturin' 2>/dev/null || missing+=("maturin>=1.9,<2")
$PY -c 'import pytest' 2>/dev/null || missing+=("pytest>=7")
$PY -c 'import mypy' 2>/dev/null || missing+=("mypy>=1.10")
if [ ${#missing[@]} -gt 0 ]; then
  echo "bindings setup: pip install ${missing[*]}"
  $PY -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${missing[@]}"
fi

need_apt=()
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bindings setup: apt-get install ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f vas-node/package-lock.json ]; then
  if [ ! -d vas-node/node_modules/@napi-rs/cli ] || [ vas-node/package-lock.json -nt vas-node/node_modules/.package-lock.json ]; then
    echo "bindings setup: npm ci (vas-node)"
    (cd vas-node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
