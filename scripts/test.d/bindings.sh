#!/usr/bin/env bash
# The bindings' test suites: C (libvas under valgrind), Python (pytest, stubtest),
# Node (node --test, tsc). Run by scripts/test after scripts/setup (which runs
# scripts/setup.d/bindings.sh). Any failure exits non-zero.
#
# Every build uses the explicit host target and the dev profile so that the three
# bindings share one build of vas-core and its dependencies (napi's CLI always passes
# --target; a build without it would compile everything a second time).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=never
export RUST_BACKTRACE=0

HOST=$(rustc -vV | sed -n 's/^host: //p')
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT="$TARGET_DIR/$HOST/debug"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
VALGRIND=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=1)

echo "== bindings: C (vas-ffi)"
cargo test -p vas-ffi --target "$HOST"
cargo build -p vas-ffi --features test-panic --target "$HOST"
NATIVE=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
gcc -std=c11 -Wall -Wextra -Werror -g -DVAS_TEST_PANIC -Ivas-ffi/include \
  vas-ffi/tests/c/test_vas.c "$OUT/libvas.a" "${NATIVE[@]}" -o "$WORK/test_vas"
"${VALGRIND[@]}" "$WORK/test_vas"
# The SIP/ingest/rules/archive suite, the versioned option structs with progress and
# cancellation, and the cross-language interop fixture (json.h: the tests' own JSON
# reader), run from the repository root.
for t in test_api test_options test_interop; do
  gcc -std=c11 -Wall -Wextra -Werror -g -Ivas-ffi/include -Ivas-ffi/tests/c \
    "vas-ffi/tests/c/$t.c" "$OUT/libvas.a" "${NATIVE[@]}" -o "$WORK/$t"
  "${VALGRIND[@]}" "$WORK/$t"
done
if command -v g++ >/dev/null 2>&1; then
  g++ -std=c++17 -Wall -Wextra -Werror -Ivas-ffi/include vas-ffi/tests/c/test_cpp.cpp \
    "$OUT/libvas.a" "${NATIVE[@]}" -o "$WORK/test_cpp"
  "$WORK/test_cpp"
fi

echo "== bindings: C example of docs/bindings.md, via the installed pkg-config file"
vas-ffi/install.sh "$WORK/prefix" --debug --target "$HOST" >/dev/null
python3 - "$WORK/example.c" <<'PY'
import re, sys
doc = open("docs/bindings.md").read()
m = re.search(r"```c example\n(.*?)```", doc, re.S)
if not m:
    sys.exit("no C example in docs/bindings.md")
open(sys.argv[1], "w").write(m.group(1))
PY
export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror "$WORK/example.c" $(pkg-config --cflags --libs vas) -o "$WORK/example"
LD_LIBRARY_PATH="$WORK/prefix/lib" "${VALGRIND[@]}" "$WORK/example" | tee "$WORK/example.out"
grep -q "NotFound: " "$WORK/example.out"
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror "$WORK/example.c" $(pkg-config --cflags --libs --static vas | sed 's/-lvas/-l:libvas.a/') -o "$WORK/example-static"
"$WORK/example-static" >/dev/null
echo "== bindings: C samples of docs/guide-c.md, in order in one folder, via pkg-config"
mkdir -p "$WORK/guide"
ln -s "$PWD/examples" "$WORK/guide/examples"
ln -s "$PWD/tests" "$WORK/guide/tests"
python3 - "$WORK/guide" <<'PY'
import re, sys
blocks = re.findall(r"```c run\n(.*?)```", open("docs/guide-c.md").read(), re.S)
if len(blocks) < 5:
    sys.exit(f"docs/guide-c.md has {len(blocks)} runnable C samples, expected at least 5")
for i, b in enumerate(blocks):
    open(f"{sys.argv[1]}/sample{i}.c", "w").write(b)
PY
for src in "$WORK"/guide/sample*.c; do
  # shellcheck disable=SC2046
  gcc -std=c11 -Wall -Wextra -Werror "$src" $(pkg-config --cflags --libs vas) -o "${src%.c}"
  (cd "$WORK/guide" && LD_LIBRARY_PATH="$WORK/prefix/lib" "${src%.c}" >/dev/null) \
    || { echo "docs/guide-c.md: sample $(basename "$src") failed" >&2; exit 1; }
done
echo "C: ok"

echo "== bindings: Python (vas-py)"
# Installed into this run's own folder (first on PYTHONPATH), not into the machine's
# python3: two runs at once cannot overwrite each other's package, and a `vas` already
# installed in site-packages is not the one tested.
MATURIN_PEP517_ARGS="--profile dev --target $HOST" python3 -m pip install --quiet \
  --disable-pip-version-check --root-user-action=ignore --no-build-isolation \
  --no-deps --target "$WORK/pylib" ./vas-py
export PYTHONPATH="$WORK/pylib${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import sys, vas; sys.exit(0 if vas.__file__.startswith(sys.argv[1]) else "vas imported from " + vas.__file__)' "$WORK/pylib"
python3 -m pytest -q -p no:cacheprovider vas-py/tests
(cd "$WORK" && python3 -m mypy.stubtest vas)

echo "== bindings: Node (vas-node)"
(
  cd vas-node
  [ -d node_modules/@napi-rs/cli ] || npm ci --no-audit --no-fund --loglevel=error
  npm run --silent build:debug
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git diff --exit-code -- index.d.ts index.js \
      || { echo "vas-node/index.d.ts or index.js is stale: run npm run build and commit them" >&2; exit 1; }
  fi
  node --test test/
  npx --no-install tsc -p test/tsconfig.json
  echo "tsc: ok"
)
