#!/usr/bin/env bash
# schema (issue 3): the differential tests compare vas with libxml2's xmllint.
# Idempotent; scripts/setup already installs libxml2-utils, this only double-checks.
set -euo pipefail
if ! command -v xmllint >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libxml2-utils >/dev/null
fi
xmllint --version 2>&1 | head -1
