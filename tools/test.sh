#!/usr/bin/env bash
# test.sh - set up, build and run every test (unit, conformance, client,
# tools). With --sanitize the same suite runs under AddressSanitizer,
# LeakSanitizer and UBSan. Ends with the line "tests: N passed, M failed".
set -euo pipefail
# One function, read before anything runs (Wine processes started by tests may
# inherit bash's descriptor of this file).
main() {
  cd "$(dirname "$0")/.."
  builddir=$(tools/setup.sh "$@")
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
  status=0
  meson test -C "$builddir" --print-errorlogs --num-processes 2 || status=$?
  python3 - "$builddir/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
  exit $status
}
main "$@"; exit $?
