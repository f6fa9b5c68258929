#!/bin/sh
# pkgconfig_client.sh BUILDDIR SOURCE_ROOT - a C program links against
# libhnsmock with nothing but `cc app.c $(pkg-config --cflags --libs hnsmock)`:
# first from the build tree (meson's uninstalled .pc), then from a
# `meson install --destdir` staging tree.
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc="${CC:-cc} ${CLIENT_CFLAGS:-}"
client=$src/tests/client/windows_client.c

PKG_CONFIG_PATH=$build/meson-uninstalled
export PKG_CONFIG_PATH
$cc -std=c11 -D_POSIX_C_SOURCE=200809L -o "$tmp/uninstalled" "$client" $(pkg-config --cflags --libs hnsmock)
LD_LIBRARY_PATH=$build/hns-mock DYLD_LIBRARY_PATH=$build/hns-mock HNSIM_STORE= "$tmp/uninstalled" >/dev/null

meson install -C "$build" --destdir "$tmp/stage" --quiet >/dev/null
pc=$(find "$tmp/stage" -name hnsmock.pc | head -n 1)
test -n "$pc"
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$tmp/stage
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
$cc -std=c11 -D_POSIX_C_SOURCE=200809L -o "$tmp/installed" "$client" $(pkg-config --cflags --libs hnsmock)
libdir=$(dirname "$(find "$tmp/stage" -name 'libhnsmock.so*' -o -name 'libhnsmock*.dylib' | head -n 1)")
LD_LIBRARY_PATH=$libdir DYLD_LIBRARY_PATH=$libdir HNSIM_STORE= "$tmp/installed" >/dev/null
echo "pkgconfig_client: ok"
