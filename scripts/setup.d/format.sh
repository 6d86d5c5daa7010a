#!/usr/bin/env bash
# Format identification (issue 5): the oracles of the tests and of the bench.
# - pygfried: Siegfried (the reference PRONOM identifier) embedded in a Python wheel, offline.
# - opf-fido: the fido identifier (bench comparison; also ships DROID V109 + container file).
set -euo pipefail
PY=python3
command -v "$PY" >/dev/null 2>&1 || { echo "setup.d/format: python3 is required" >&2; exit 2; }
if ! "$PY" -c "import pygfried, fido" >/dev/null 2>&1; then
  "$PY" -m pip install --quiet --disable-pip-version-check "pygfried>=2.2" "opf-fido>=1.6" \
    || "$PY" -m pip install --quiet --disable-pip-version-check --break-system-packages "pygfried>=2.2" "opf-fido>=1.6"
fi
"$PY" -c "import pygfried; print('setup.d/format: siegfried', pygfried.version())"
