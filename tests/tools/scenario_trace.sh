#!/bin/sh
# scenario_trace.sh HNSIM SCENARIO_DIR - `hnsim trace FILE` and `hnsim reach
# FILE` on the H1 field script (scenarios/field/dns-timing-and-cache.scn):
# a pod sending to a service name shows its DNS lookup first (the query,
# the answer, then the packet), a failed lookup sends no packet and says why
# (the negative cache of an old build), an address needs no lookup, the
# JSON carries the lookup as a "lookup" member, and the bytes are the same
# twice in a row.
set -eu
hnsim=$1
scn=$2/field/dns-timing-and-cache.scn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "scenario_trace: $*" >&2; exit 1; }
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$1 has: $2"; }

"$hnsim" trace "$scn" --from app2 --to web.default:80/tcp > "$tmp/name.txt"
has "$tmp/name.txt" "DNS lookup of web.default: answered by 10.96.0.10"
has "$tmp/name.txt" "packet: udp 10.244.2.10:39998 -> 10.96.0.10:53"
has "$tmp/name.txt" "--- reply"
has "$tmp/name.txt" "--- then"
has "$tmp/name.txt" "packet: tcp 10.244.2.10:39999 -> 10.96.0.80:80"
"$hnsim" trace "$scn" --from app2 --to web.default:80/tcp > "$tmp/again.txt"
cmp "$tmp/name.txt" "$tmp/again.txt" || fail "two traces differ"

"$hnsim" trace "$scn" --from app2 --to web.default:80/tcp --json > "$tmp/name.json"
has "$tmp/name.json" '"lookup":'
has "$tmp/name.json" '"resolved":	true'

# app4 failed at 0 s on the old build; at 10 s (--at moves the clock on
# from the last statement, at 2 s) its DNS client still holds it.
"$hnsim" trace "$scn" --from app4 --to web.default:80/tcp --at 10s > "$tmp/cached.txt"
has "$tmp/cached.txt" "DNS lookup of web.default: pod app4's DNS client holds an earlier failure of the name for 890000 ms more"
lacks "$tmp/cached.txt" "packet:"
"$hnsim" trace "$scn" --from app4 --to web.default:80/tcp --at 10s --json > "$tmp/cached.json"
has "$tmp/cached.json" '"verdict":	"dropped"'
has "$tmp/cached.json" '"reason":	"dns_negative_cached"'
has "$tmp/cached.json" '"query":	null'

# An address: no lookup, the walk's JSON as it always was.
"$hnsim" trace "$scn" --from app2 --to svc:web.default:80/tcp > "$tmp/addr.txt"
lacks "$tmp/addr.txt" "DNS lookup"
has "$tmp/addr.txt" "verdict: delivered"
"$hnsim" trace "$scn" --from app2 --to svc:web.default:80/tcp --json > "$tmp/addr.json"
lacks "$tmp/addr.json" '"lookup"'

"$hnsim" reach "$scn" > "$tmp/reach.txt"
has "$tmp/reach.txt" "default/app4"

# --at takes the scripts' durations; a bad one is named.
"$hnsim" trace "$scn" --from app4 --to web.default:80/tcp --at 14m > "$tmp/at.txt"
has "$tmp/at.txt" "for 60000 ms more"
if "$hnsim" reach "$scn" --at 0x10 > /dev/null 2> "$tmp/at.err"; then fail "--at 0x10 accepted"; fi
has "$tmp/at.err" "--at 0x10: a time like"

# A bad address, or a host without a port, is an error (exit 1).
if "$hnsim" trace "$scn" --from app1 --to ip:bogus:80 2> "$tmp/bad.err"; then fail "a bad address exits 0"; fi
has "$tmp/bad.err" "bad address"
if "$hnsim" trace "$scn" --from app1 --to node:win2 2> "$tmp/bad.err"; then fail "no port exits 0"; fi
has "$tmp/bad.err" "node:win2 needs a port"

# A script that stops at an error gives no matrix and no trace: exit 1.
printf 'cluster mode=host-gw\nnode lin1 os=linux ip=10.0.0.6 pod-cidr=10.244.3.0/24\nsevice x\n' > "$tmp/broken.scn"
if "$hnsim" reach "$tmp/broken.scn" > "$tmp/broken.out" 2> "$tmp/broken.err"; then fail "reach of a broken script exits 0"; fi
has "$tmp/broken.err" "unknown statement 'sevice'"
[ ! -s "$tmp/broken.out" ] || fail "reach of a broken script printed a matrix"
if "$hnsim" trace "$tmp/broken.scn" --from node:lin1 --to ip:10.0.0.9:22/tcp > "$tmp/broken.out" 2>/dev/null; then
  fail "trace of a broken script exits 0"
fi
echo "scenario_trace: ok"
