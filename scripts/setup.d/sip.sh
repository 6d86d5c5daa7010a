#!/usr/bin/env bash
# Tools used as oracles by the sip tests (vas-core/tests/sip_*.rs):
# python3 (zipfile/tarfile read back our packages), unzip (zip integrity).
# xmllint is installed by scripts/setup itself. Idempotent.
set -euo pipefail
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
