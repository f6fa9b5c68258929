#!/bin/sh
# build.sh OUTDIR - cross-compile the hnsim Windows DLLs with mingw-w64.
#
#   computenetwork.dll   every HCN function of include/computenetwork.h
#   vmcompute.dll        HNSCall
#   bcryptprimitives.dll ProcessPrng, which Go >= 1.22 programs need on Wine 8
#
# Each DLL is linked statically (libgcc, winpthreads), so the three files are
# all a Wine prefix needs; tools/wine-setup.sh copies them into system32.
# The sources shared with the native library (hcn_api.c and hcn_service.c,
# the whole HCN API, over backend_win.c; wire.c, wstr.c, guid.c, handles.c, detail.c,
# hresult.c with its errors.def table) compile unchanged;
# hnsd_link.c is the Winsock twin of remote.c and wirejson.c stands in for
# cJSON. The native meson build does not need mingw; CC overrides the compiler.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
cc=${CC:-x86_64-w64-mingw32-gcc}
command -v "$cc" >/dev/null 2>&1 || {
  echo "build.sh: $cc not found (Debian: apt-get install gcc-mingw-w64-x86-64)" >&2
  exit 1
}
mkdir -p "$out"
flags="-std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
  -Wno-missing-field-initializers -D_WIN32_WINNT=0x0601 -DWINVER=0x0601
  -I$root/include -I$root/hns-mock -I$here"
link="-shared -s -static -static-libgcc"
shared="$root/hns-mock/wire.c $root/hns-mock/wstr.c $root/hns-mock/guid.c
  $here/hnsd_link.c $here/wirejson.c $root/hns-mock/hresult.c"
# shellcheck disable=SC2086
"$cc" $flags $link -o "$out/computenetwork.dll" "$root/hns-mock/hcn_api.c" \
  "$root/hns-mock/hcn_service.c" "$here/backend_win.c" "$root/hns-mock/handles.c" \
  "$root/hns-mock/detail.c" "$root/hns-mock/event_scope.c" $shared "$here/computenetwork.def" -lws2_32 -lole32 -lpthread
# shellcheck disable=SC2086
"$cc" $flags $link -o "$out/vmcompute.dll" "$here/vmcompute.c" $shared \
  "$here/vmcompute.def" -lws2_32 -lole32
# shellcheck disable=SC2086
"$cc" $flags $link -o "$out/bcryptprimitives.dll" "$here/bcryptprimitives.c" \
  "$here/bcryptprimitives.def" -ladvapi32
