#!/usr/bin/env bash
# quickstart.sh - the main job: set up, build, and run the demo node.
# A Windows node is programmed through the HCN API the way flannel and the
# win-bridge CNI plugin do it, on a SQLite store, and shown with hnsim diag.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=$(tools/setup.sh)
"$builddir/tools/hnsim/hnsim" demo --store "${HNSIM_DEMO_STORE:-$builddir/demo.db}" "$@"
