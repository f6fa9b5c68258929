#!/usr/bin/env bash
# setup.sh - install what hnsim needs (if missing) and build it.
#
#   tools/setup.sh [--sanitize]     build into build/ (or build-asan/ with
#                                   AddressSanitizer and UBSan)
#
# Dependencies: meson, ninja, pkg-config, a C11 compiler, SQLite, cJSON, libuv,
# cmocka. On Debian/Ubuntu they come from apt-get, on macOS from Homebrew; the
# script installs them only when pkg-config cannot find them.
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=build
meson_args=()
if [[ "${1:-}" == "--sanitize" ]]; then
  builddir=build-asan
  meson_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
fi

# uthash is one header without pkg-config: ask the compiler.
have_header() {
  echo "#include <$1>" | ${CC:-cc} -E - >/dev/null 2>&1
}

have_deps() {
  command -v meson >/dev/null && command -v ninja >/dev/null && command -v pkg-config >/dev/null &&
    pkg-config --exists sqlite3 libcjson libuv cmocka && have_header uthash.h
}

if ! have_deps; then
  if command -v apt-get >/dev/null; then
    sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    echo "setup: installing build dependencies with apt-get" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      meson ninja-build pkg-config gcc libc6-dev libsqlite3-dev libcjson-dev libuv1-dev \
      libcmocka-dev uthash-dev >/dev/null
  elif command -v brew >/dev/null; then
    echo "setup: installing build dependencies with Homebrew" >&2
    brew install meson ninja pkg-config sqlite cjson libuv cmocka uthash
    export PKG_CONFIG_PATH="$(brew --prefix sqlite)/lib/pkgconfig:${PKG_CONFIG_PATH:-}"
  else
    echo "setup: please install meson, ninja, pkg-config, SQLite, cJSON, libuv, cmocka and uthash" >&2
    exit 1
  fi
fi

# Quiet when all goes well; the full output on stderr when something fails.
log=$(mktemp)
if [[ ! -f "$builddir/build.ninja" ]] && ! meson setup "$builddir" "${meson_args[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
if ! ninja -C "$builddir" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "$builddir"
