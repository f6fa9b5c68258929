#!/bin/sh
# Runs one scenario the way CI and users do (hnsim run), twice with the same
# seed, and checks the JSON reports are byte-identical (determinism). Exit
# status: that of hnsim run (0 = every expectation held).
# usage: run_scenarios.sh HNSIM SCENARIO
set -u
hnsim=$1
scenario=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hnsim" run "$scenario" --seed 7 --json > "$tmp/a.json"
status=$?
"$hnsim" run "$scenario" --seed 7 --json > "$tmp/b.json"
if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
    echo "not deterministic: two runs with seed 7 differ" >&2
    diff "$tmp/a.json" "$tmp/b.json" | head -20 >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    "$hnsim" run "$scenario" --seed 7   # the text report, for the log
fi
exit "$status"
