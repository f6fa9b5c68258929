#!/bin/sh
# demo_golden.sh HNSIM GOLDEN_DIR - `hnsim demo` and `hnsim diag` print exactly
# the golden bytes, and the same seed gives the same bytes twice.
set -eu
hnsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$hnsim" demo --store demo.db > demo1.txt
"$hnsim" demo --store demo.db > demo2.txt
cmp demo1.txt demo2.txt
diff -u "$golden/demo.txt" demo1.txt
"$hnsim" diag list all --json --store demo.db > diag.json
diff -u "$golden/diag_all.json" diag.json
"$hnsim" diag list endpoints --json --schema 1 --store demo.db > diag_v1.json
diff -u "$golden/diag_endpoints_v1.json" diag_v1.json
# A store that does not exist is an error, not a new empty store.
if "$hnsim" diag list all --store missing.db 2>/dev/null; then
  echo "diag on a missing store should fail" >&2
  exit 1
fi
test ! -e missing.db
echo "demo_golden: ok"
