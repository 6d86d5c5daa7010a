#!/usr/bin/env bash
# The archive tests validate DIP manifests with xmllint (libxml2-utils). Idempotent.
set -euo pipefail
if ! command -v xmllint >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libxml2-utils
fi
