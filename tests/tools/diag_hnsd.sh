#!/bin/sh
# diag_hnsd.sh HNSIM - `hnsim diag` reads a running daemon (`hnsim serve`)
# exactly as it reads the store file the daemon serves.
set -eu
hnsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
"$hnsim" demo --store demo.db > /dev/null
"$hnsim" diag list all --store demo.db > from-store.txt
"$hnsim" diag list all --json --store demo.db > from-store.json
"$hnsim" serve --store demo.db --socket "$tmp/hnsd.sock" --pid-file "$tmp/pid" 2> serve.log &
pid=$!
i=0
while [ ! -S "$tmp/hnsd.sock" ] || [ ! -s "$tmp/pid" ]; do
  i=$((i + 1))
  [ "$i" -lt 200 ] || { echo "hnsim serve did not start" >&2; cat serve.log >&2; exit 1; }
  sleep 0.05
done
"$hnsim" diag list all --hnsd "$tmp/hnsd.sock" > from-daemon.txt
"$hnsim" diag list all --json --hnsd "$tmp/hnsd.sock" > from-daemon.json
HNSIM_HNSD="unix:$tmp/hnsd.sock" "$hnsim" diag list all > from-env.txt
diff -u from-store.txt from-daemon.txt
diff -u from-store.json from-daemon.json
diff -u from-store.txt from-env.txt
kill "$pid"
wait "$pid" || true
pid=
test ! -e "$tmp/hnsd.sock"
echo "diag_hnsd: ok"
