#!/usr/bin/env bash
# Builds libvas (shared + static) and installs it with its header and pkg-config file.
#
#   vas-ffi/install.sh [PREFIX] [--debug] [--target TRIPLE]
#
# PREFIX defaults to /usr/local. Installs PREFIX/lib/libvas.{so,a}, PREFIX/include/vas.h
# and PREFIX/lib/pkgconfig/vas.pc. Then: gcc app.c $(pkg-config --cflags --libs vas).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
profile=release
target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --target) target="$2"; shift ;;
    -*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    *) prefix="$1" ;;
  esac
  shift
done

args=(-p vas-ffi)
[ "$profile" = release ] && args+=(--release)
[ -n "$target" ] && args+=(--target "$target")
cargo build "${args[@]}"

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/${target:+$target/}$profile"
version=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="vas-ffi"))')
# What a static link of libvas needs (as printed by rustc for this platform).
native=$(cargo rustc "${args[@]}" --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -1)

install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 0644 vas-ffi/include/vas.h "$prefix/include/vas.h"
install -m 0755 "$out/libvas.so" "$prefix/lib/libvas.so"
install -m 0644 "$out/libvas.a" "$prefix/lib/libvas.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@NATIVE_STATIC_LIBS@|$native|" \
  vas-ffi/vas.pc.in > "$prefix/lib/pkgconfig/vas.pc"
echo "installed libvas $version into $prefix"
