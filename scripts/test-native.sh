#!/usr/bin/env bash
# C++ kernel tests under AddressSanitizer + UndefinedBehaviorSanitizer (npm run test:native).
# Builds native/ with cmake into native/build-asan/ and runs every native/test/*_test binary once
# per ISA setting (the tests also call every ISA's kernel table directly; NODEGRAD_ISA only moves
# the public entry points). Any sanitizer report fails the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/native/build-asan"
cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DNG_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for isa in "" scalar avx2; do
  for t in "$build"/*_test; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t") NODEGRAD_ISA=${isa:-<best>}"
    if ! NODEGRAD_ISA="$isa" "$t"; then status=1; fi
  done
  # The explicit-ISA reruns only matter on x86 (arm64 has scalar + neon, both always covered).
  case "$(uname -m)" in x86_64|amd64) ;; *) break ;; esac
done
exit $status
