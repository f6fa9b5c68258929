#!/bin/sh
# trace_golden.sh HNSIM GOLDEN_DIR - `hnsim vfp` and `hnsim trace` on the
# node `hnsim demo --seed 1` builds print exactly the golden bytes, twice in
# a row, and the same bytes through a running daemon (`--hnsd`) as from the
# store file; the JSON trace has the documented members; bad usage exits 2
# and a missing store exits 1 without creating it.
#
# After an intended change of the output, rewrite the golden files with
#   HNSIM_GOLDEN_UPDATE=1 meson test -C build hnsim_trace_golden
# and review the diff.
set -eu
hnsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
golden=$(cd "$2" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
"$hnsim" demo --store s.db --seed 1 > /dev/null

# The demo's pods (tools/hnsim/demo.c): two win-bridge pods on cbr0 with
# OutBoundNAT, on a node whose address is the network's ProviderAddress.
pod1=10.244.1.3
pod2=10.244.1.4

# name|arguments: one line per command compared with GOLDEN_DIR/<name>.
commands="vfp_list_ports.txt|vfp list-ports
vfp_list_rules_pod.txt|vfp list-rules --port $pod1
vfp_list_rules_pod_fw.txt|vfp list-rules --port $pod1 --layer SLB_NAT_LAYER --group SLB_GROUP_NAT_IPv4_OUT
vfp_list_rules_external.txt|vfp list-rules --port external
vfp_list_rules_host.txt|vfp list-rules --port host
trace_pod.txt|trace --from $pod1 --to $pod2:80/tcp
trace_pod.json|trace --from $pod1 --to $pod2:80/tcp --json
trace_snat.txt|trace --from $pod1 --to 8.8.8.8:443/tcp
trace_snat.json|trace --from $pod1:40123 --to 8.8.8.8:443/tcp --json
trace_icmp.txt|trace --from $pod1 --to 8.8.8.8:0/icmp"

# Runs every command against the node named by "$@" (--store FILE or
# --hnsd SOCKET) into directory out/.
run_all() {
  out=$1
  shift
  mkdir -p "$out"
  echo "$commands" | while IFS='|' read -r name args; do
    # shellcheck disable=SC2086 # args is a word list on purpose
    "$hnsim" $args "$@" > "$out/$name"
  done
}

run_all store1 --store s.db
run_all store2 --store s.db
status=0
echo "$commands" | while IFS='|' read -r name args; do
  cmp "store1/$name" "store2/$name"
done
if [ "${HNSIM_GOLDEN_UPDATE:-}" = 1 ]; then
  echo "$commands" | while IFS='|' read -r name args; do
    cp "store1/$name" "$golden/$name"
  done
  echo "trace_golden: golden files rewritten in $golden"
fi
for name in $(echo "$commands" | cut -d'|' -f1); do
  diff -u "$golden/$name" "store1/$name" || status=1
done
[ "$status" = 0 ] || { echo "trace_golden: output differs from $golden" >&2; exit 1; }

# What the pod trace shows: the OutBoundNAT exception on the way out, the
# other pod's port on the way in; SNAT to the node address for TCP to the
# internet; ICMP leaves with the pod address (field-bugs B5).
grep -q "ALLOW_NAT_10.244.0.0_16: allow" store1/trace_pod.txt
grep -q "^verdict: delivered" store1/trace_pod.txt
grep -q "SNAT_TCP_10.0.0.4: snat" store1/trace_snat.txt
grep -q "^output: tcp 10.0.0.4:" store1/trace_snat.txt
grep -q "^output: icmp $pod1:0 -> 8.8.8.8:0" store1/trace_icmp.txt
if grep -q "SNAT" store1/trace_icmp.txt; then
  echo "trace_golden: ICMP must not be SNATed" >&2
  exit 1
fi

# The JSON trace: verdict, reason, to.ip, to.port and a list of steps.
if command -v python3 > /dev/null; then
  python3 - store1/trace_pod.json store1/trace_snat.json <<'PY'
import json, sys
want = {"store1/trace_pod.json": ("delivered", "10.244.1.4", 80),
        "store1/trace_snat.json": ("forwarded", "8.8.8.8", 443)}
for path in sys.argv[1:]:
    with open(path) as f:
        t = json.load(f)
    verdict, ip, port = want[path]
    assert t["verdict"] == verdict, (path, t["verdict"])
    assert isinstance(t["reason"], str) and t["reason"], path
    assert t["to"]["ip"] == ip and t["to"]["port"] == port, (path, t["to"])
    assert isinstance(t["steps"], list) and t["steps"], path
    for s in t["steps"]:
        assert "node" in s and "at" in s and "action" in s, (path, s)
    assert t["from"]["port"] == (40000 if "pod" in path else 40123), (path, t["from"])
PY
else
  for key in '"verdict":' '"reason":' '"to":' '"ip":' '"port":' '"steps":'; do
    grep -q "$key" store1/trace_pod.json
  done
fi

# Bad usage exits 2 (and prints the usage), before looking at any store.
expect_status() {
  want=$1
  shift
  set +e
  "$hnsim" "$@" > out.txt 2> err.txt
  got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "trace_golden: 'hnsim $*' exited $got, expected $want" >&2
    cat err.txt >&2
    exit 1
  fi
}
expect_status 2 trace --store s.db
expect_status 2 trace --store s.db --from $pod1
expect_status 2 trace --store s.db --from $pod1 --to $pod2/tcp
expect_status 2 trace --store s.db --from $pod1 --to $pod2:80/sctp-ish
expect_status 2 trace --store s.db --from $pod1 --to $pod2:70000/tcp
expect_status 2 trace --store s.db --from not-an-ip --to $pod2:80/tcp
expect_status 2 trace --store s.db --from $pod1 --to $pod2:80/tcp --size 0
expect_status 2 trace --store s.db --from $pod1 --to $pod2:80/tcp --bogus
grep -q "^usage: hnsim trace" err.txt
expect_status 2 vfp
expect_status 2 vfp list-rules --store s.db
expect_status 2 vfp list-things --store s.db
expect_status 2 vfp list-ports --store s.db --bogus
grep -q "^usage: hnsim vfp" err.txt
# A port the node does not have, or a layer it does not have: 1.
expect_status 1 vfp list-rules --port 10.244.9.9 --store s.db
expect_status 1 vfp list-rules --port $pod1 --layer NO_SUCH_LAYER --store s.db

# A store that does not exist is an error (1), not a new empty store.
expect_status 1 trace --store missing.db --from $pod1 --to $pod2:80/tcp
expect_status 1 vfp list-ports --store missing.db
expect_status 1 vfp list-rules --port external --store missing.db
test ! -e missing.db

# The same node through hnsd: the same bytes.
"$hnsim" serve --store s.db --socket "$tmp/hnsd.sock" --pid-file "$tmp/pid" 2> serve.log &
pid=$!
i=0
while [ ! -S "$tmp/hnsd.sock" ] || [ ! -s "$tmp/pid" ]; do
  i=$((i + 1))
  [ "$i" -lt 200 ] || { echo "hnsim serve did not start" >&2; cat serve.log >&2; exit 1; }
  sleep 0.05
done
run_all daemon --hnsd "$tmp/hnsd.sock"
for name in $(echo "$commands" | cut -d'|' -f1); do
  diff -u "store1/$name" "daemon/$name"
done
kill "$pid"
wait "$pid" || true
pid=
echo "trace_golden: ok"
