#!/usr/bin/env bash
# run.sh HNSD HNSIM [WORKDIR] - real Windows components against hnsim, under Wine.
#
# Builds the mingw DLLs (hns-mock/win/build.sh), the upstream Windows
# programs of this Go module (GOOS=windows: the hcsshim conformance client,
# hcsshim's own hcn integration tests, win-bridge, win-overlay, host-local),
# then runs the driver (./driver),
# which starts HNSD on a fresh store per profile, sets a Wine prefix up with
# tools/wine-setup.sh and runs everything under Wine. Exit 77 (meson's SKIP),
# with the reason printed, only when Wine itself cannot start here.
#
# Environment: HNSIM_INTEROP_PROFILES (default "ws2019 ws2022 ws2025"),
# Go: the module needs go >= 1.26.8. An older go 1.21+ fetches that toolchain
# itself (GOTOOLCHAIN); an older one (Debian 12's go1.19) gets it here from
# the Go module proxy as the module golang.org/toolchain.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hnsd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
hnsim=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=${3:-$PWD/interop-work}
mkdir -p "$work"
work=$(cd "$work" && pwd)
export HOME=${HOME:-$work/home}  # go and wine both want one
want_go=1.26.8

skip() { echo "interop: SKIPPED - $*" >&2; exit 77; }

# --- Go -------------------------------------------------------------------------
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "interop: go is not installed" >&2; exit 1; }
go_version=$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')
go_minor=$(echo "$go_version" | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ $go_minor -lt 21 ]]; then
  # No GOTOOLCHAIN before Go 1.21: fetch the toolchain as the module it is.
  arch=$(go env GOARCH)
  module=golang.org/toolchain@v0.0.1-go$want_go.linux-$arch
  echo "interop: $go_version is too old; fetching go$want_go from the module proxy" >&2
  dir=$(cd "$work" && GOFLAGS=-mod=mod GO111MODULE=on go mod download -json "$module" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -f $dir/bin/go ]] || { echo "interop: could not fetch $module" >&2; exit 1; }
  # The module cache keeps files read-only and not executable: use a copy.
  tool=$work/go$want_go
  if [[ ! -x $tool/bin/go ]]; then
    rm -rf "$tool"
    cp -r "$dir" "$tool"
    chmod -R u+w "$tool"
    chmod +x "$tool"/bin/* "$tool"/pkg/tool/*/*
  fi
  export PATH="$tool/bin:$PATH" GOROOT="$tool"
else
  export GOTOOLCHAIN=${GOTOOLCHAIN:-go$want_go+auto}
fi
export GOFLAGS=${GOFLAGS:--buildvcs=false}

# --- Windows binaries -------------------------------------------------------------
bin=$work/bin
mkdir -p "$bin/dlls"
"$root/hns-mock/win/build.sh" "$bin/dlls"
(
  cd "$here"
  GOOS=windows GOARCH=amd64 go build -o "$bin/" \
    github.com/containernetworking/plugins/plugins/main/windows/win-bridge \
    github.com/containernetworking/plugins/plugins/main/windows/win-overlay \
    github.com/containernetworking/plugins/plugins/ipam/host-local
  GOOS=windows GOARCH=amd64 go test -c -o "$bin/hcnclient.test.exe" ./hcnclient
  # hcsshim's own hcn integration tests, unmodified, from the module cache.
  GOOS=windows GOARCH=amd64 go test -c -tags integration -o "$bin/hcsshim-hcn.test.exe" \
    github.com/Microsoft/hcsshim/hcn
)
echo "interop: upstream modules:" >&2
(cd "$here" && go list -m github.com/Microsoft/hcsshim github.com/containernetworking/plugins \
  github.com/containernetworking/cni) | sed 's/^/  /' >&2

# --- Wine --------------------------------------------------------------------------
if ! command -v wine >/dev/null && [[ ! -x /usr/lib/wine/wine64 ]]; then
  skip "Wine is not installed (Debian: apt-get install wine64 wine)"
fi
if ! out=$("$root/tools/wine-setup.sh" --prefix "$work/wineprefix" --dlls "$bin/dlls" \
             --profile ws2022 2>&1); then
  if ! probe=$(WINEPREFIX="$work/wineprefix" WINEDEBUG=-all timeout 120 \
                 "$(command -v wine || echo /usr/lib/wine/wine64)" cmd /c echo ok 2>&1) ||
     [[ $probe != *ok* ]]; then
    skip "Wine cannot start here: $out ${probe:-}"
  fi
  echo "interop: wine-setup failed: $out" >&2
  exit 1
fi

# --- the driver ---------------------------------------------------------------------
export HNSIM_INTEROP_HNSD=$hnsd HNSIM_INTEROP_HNSIM=$hnsim HNSIM_INTEROP_BIN=$bin
export HNSIM_INTEROP_WORK=$work HNSIM_INTEROP_ROOT=$root
export HNSIM_INTEROP_PROFILES=${HNSIM_INTEROP_PROFILES:-ws2019 ws2022 ws2025}
unset HNSIM_HNSD HNSIM_STORE DISPLAY
cd "$here"
go test -count=1 -timeout 30m -v ./driver
