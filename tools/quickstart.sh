#!/usr/bin/env bash
# quickstart.sh - the main job: set up, build, program the demo node, then
# run a demo scenario.
# First a Windows node is programmed through the HCN API the way flannel and
# the win-bridge CNI plugin do it, on a SQLite store, and shown with hnsim
# diag; then a teaching scenario builds a Windows/Linux cluster, runs the
# controller models and checks that the services reach each other, printing
# one line per expectation (and a trace for any that fails).
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=$(tools/setup.sh)
"$builddir/tools/hnsim/hnsim" demo --store "${HNSIM_DEMO_STORE:-$builddir/demo.db}" "$@"
echo
echo "== scenarios/teaching/service-discovery-hostgw.scn: Windows <-> Linux service discovery"
"$builddir/tools/hnsim/hnsim" run scenarios/teaching/service-discovery-hostgw.scn
