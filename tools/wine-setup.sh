#!/usr/bin/env bash
# wine-setup.sh - make a Wine prefix in which unmodified Windows HNS clients
# (hcsshim programs, the Windows CNI plugins) reach hnsim.
#
#   tools/wine-setup.sh --prefix DIR [--profile ws2019|ws2022|ws2025]
#                       [--dlls DIR] [--hnsd tcp:127.0.0.1:PORT]
#                       [--token-file FILE | --token TOKEN] [--check]
#
# In one go, and again at any time (each step is idempotent):
#   1. creates the prefix headless if it does not exist (`wineboot -i`; no X
#      server needed; about 10 s and 700 MB, reference wine-interop.md 3);
#   2. puts computenetwork.dll, vmcompute.dll and bcryptprimitives.dll in
#      C:\windows\system32, the only place hcsshim loads them from
#      (wine-interop.md 4, 6) - built from hns-mock/win/ unless --dlls names
#      a directory that has them;
#   3. makes Windows report the profile's build: Windows 10 (Server) with
#      CurrentBuildNumber/CurrentBuild 17763 (ws2019), 20348 (ws2022) or
#      26100 (ws2025) (wine-interop.md 7);
#   4. with --hnsd, writes C:\windows\system32\hnsim.conf so that every
#      process of the prefix finds hnsd without any environment
#      (hns-mock/win/hnsd_link.h): HNSIM_HNSD, and the token or token file.
# --check only tells whether Wine can start here (exit 0) or not (exit 1,
# with the reason), creating nothing.
#
# Environment for the programs afterwards: WINEPREFIX=DIR, WINEDEBUG=-all
# (keeps stderr clean), and either hnsim.conf or HNSIM_HNSD +
# HNSIM_HNSD_TOKEN_FILE exported before `wine program.exe`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

prefix="" profile="ws2022" dlls="" hnsd="" token_file="" token="" check=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --dlls) dlls=$2; shift 2 ;;
    --hnsd) hnsd=$2; shift 2 ;;
    --token-file) token_file=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "wine-setup: unknown argument $1" >&2; exit 2 ;;
  esac
done

# The Wine loader: Debian's `wine` wrapper, or the wine64 loader alone.
if command -v wine >/dev/null 2>&1; then
  wine=wine
elif [[ -x /usr/lib/wine/wine64 ]]; then
  wine=/usr/lib/wine/wine64
else
  echo "wine-setup: Wine is not installed (Debian: apt-get install wine64 wine)" >&2
  exit 1
fi
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
unset DISPLAY
export WINEDEBUG=-all

if [[ $check == 1 ]]; then
  probe=$(mktemp -d)
  trap 'WINEPREFIX="$probe" "$wineserver" -k >/dev/null 2>&1 || true; rm -rf "$probe"' EXIT
  if out=$(WINEPREFIX="$probe" timeout 120 "$wine" cmd /c echo hnsim-wine-ok 2>&1) &&
     [[ $out == *hnsim-wine-ok* ]]; then
    echo "wine-setup: Wine works ($("$wine" --version 2>/dev/null || echo unknown version))"
    exit 0
  fi
  echo "wine-setup: Wine cannot start here: ${out:-no output}" >&2
  exit 1
fi

[[ -n $prefix ]] || { echo "wine-setup: --prefix DIR is required" >&2; exit 2; }
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
export WINEPREFIX=$prefix

case "$profile" in
  ws2019) build=17763 ;;
  ws2022) build=20348 ;;
  ws2025) build=26100 ;;
  *) echo "wine-setup: unknown profile $profile (ws2019, ws2022, ws2025)" >&2; exit 2 ;;
esac

# 1. The prefix.
if [[ ! -f $prefix/system.reg ]]; then
  echo "wine-setup: creating $prefix" >&2
  "$wine" wineboot -i >/dev/null 2>&1 || true
  "$wineserver" -w
  [[ -f $prefix/system.reg ]] || { echo "wine-setup: wineboot did not create $prefix" >&2; exit 1; }
fi

# 2. The DLLs.
system32=$prefix/drive_c/windows/system32
if [[ -z $dlls ]]; then
  dlls=$prefix/hnsim-dlls
  "$root/hns-mock/win/build.sh" "$dlls"
fi
for dll in computenetwork.dll vmcompute.dll bcryptprimitives.dll; do
  [[ -f $dlls/$dll ]] || { echo "wine-setup: $dlls/$dll is missing" >&2; exit 1; }
  cp "$dlls/$dll" "$system32/$dll"
done

# 3. The Windows version, stored as `winecfg /v win10` stores it: the NT
#    registry values Wine's RtlGetVersion reads (a Wine "Version" override
#    would win over them, so it is removed), with the profile's build, its
#    product name and a server product type. Wine 8 takes the version from
#    CurrentVersion, hence "10.0" there (real Windows keeps "6.3" and the
#    CurrentMajor/MinorVersionNumber pair, also written).
case "$profile" in
  ws2019) product="Windows Server 2019 Datacenter" ;;
  ws2022) product="Windows Server 2022 Datacenter" ;;
  ws2025) product="Windows Server 2025 Datacenter" ;;
esac
reg=$prefix/hnsim-version.reg
cat > "$reg" <<EOF
REGEDIT4

[HKEY_CURRENT_USER\\Software\\Wine]
"Version"=-

[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\\CurrentVersion]
"CurrentMajorVersionNumber"=dword:0000000a
"CurrentMinorVersionNumber"=dword:00000000
"CurrentVersion"="10.0"
"CurrentBuild"="$build"
"CurrentBuildNumber"="$build"
"CSDVersion"=-
"ProductName"="$product"

[HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control\\ProductOptions]
"ProductType"="ServerNT"
EOF
"$wine" regedit /S "$(echo "Z:$reg" | tr / '\\')" >/dev/null 2>&1
"$wineserver" -w
grep -q "\"CurrentBuildNumber\"=\"$build\"" "$prefix/system.reg" ||
  { echo "wine-setup: could not set the Windows build to $build" >&2; exit 1; }

# 4. Where hnsd is, for every process of the prefix.
if [[ -n $hnsd ]]; then
  {
    echo "# written by tools/wine-setup.sh: read by hnsim's computenetwork.dll and vmcompute.dll"
    echo "HNSIM_HNSD=$hnsd"
    [[ -n $token ]] && echo "HNSIM_HNSD_TOKEN=$token"
    [[ -n $token_file ]] && echo "HNSIM_HNSD_TOKEN_FILE=$(cd "$(dirname "$token_file")" && pwd)/$(basename "$token_file")"
  } > "$system32/hnsim.conf"
else
  rm -f "$system32/hnsim.conf"
fi
echo "wine-setup: $prefix ready (profile $profile, Windows build $build)" >&2
