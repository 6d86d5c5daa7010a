#!/usr/bin/env bash
# Smoke run of the whole-process comparison harness (benches/compare.py) on tiny corpora,
# with only the peers already installed, so the harness cannot rot. Usage: scripts/test.d/bench-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

# The smoke run checks that the harness works, not speed: the debug CLI the tests already
# built is enough (a release build would cost CI several minutes).
cargo build -p vas-core --features cli -q

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/report.md"

python3 benches/compare.py --scale 0.0005 --repeat 1 --vas target/debug/vas --work "$work/w" --out "$out" --quiet >/dev/null

# Every vas row must be present with a measured time (not "failed" or "skipped").
fail=0
for row in \
  'vas sip build DIR -o sip.zip --stored' \
  'RAYON_NUM_THREADS=1 vas sip build' \
  'vas sip build DIR -o sip.zip --stored --manifest-last' \
  'vas sip build DIR -o sip.zip --algorithm' \
  'vas sip inspect sip.zip --json' \
  'vas digest -a sha-512 FILES' \
  'RAYON_NUM_THREADS=1 vas digest -a md5' \
  'vas manifest check manifest.xml' \
  'vas manifest stats manifest.xml --json' \
  'vas manifest check --profile Profil20.rng' \
  'vas format identify --json' \
  'RAYON_NUM_THREADS=1 vas format identify' \
  'vas offer put storage.toml' \
  'vas rules eliminable --referentials' \
  'vas archive ingest DIR SIP_DIR' \
  'vas offer put storage.toml KEY FILE, once per 1 MiB object' \
  'vas offer put storage2.toml KEY FILE, once per 100 MiB object' \
  'vas offer get storage.toml KEY -o FILE, once per 1 MiB object' \
  'vas archive ingest DIR sip.zip'; do
  line="$(grep -F -- "| \`$row" "$out" || true)"
  if [ -z "$line" ]; then
    echo "bench-smoke: missing row: $row" >&2; fail=1
  elif ! grep -Eq '\| [0-9]+\.[0-9]{3} s \|' <<<"$line"; then
    echo "bench-smoke: row without a measured time: $line" >&2; fail=1
  fi
done
grep -q '^| nproc | [0-9]' "$out" || { echo "bench-smoke: no machine description" >&2; fail=1; }
[ "$fail" = 0 ] && echo "bench-smoke: ok ($(grep -c '^| `' "$out") command rows)"
exit "$fail"
