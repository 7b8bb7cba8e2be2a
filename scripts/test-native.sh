#!/usr/bin/env bash
# C++ kernel tests under AddressSanitizer + UndefinedBehaviorSanitizer (npm run test:native).
# Builds native/ with cmake into native/build-asan/ and runs every native/test/*_test binary once
# per ISA setting (the tests also call every ISA's kernel table directly; NODEGRAD_ISA only moves
# the public entry points): gemm_test, conv_test, ew_test (element-wise/reduce/softmax/xent/optimizer
# tables vs float64), pool_test (thread pool under concurrent callers). Then the ew_ulp max-ulp sweep
# once per ISA build the CPU supports, and pool_test again under ThreadSanitizer (native/build-tsan;
# NG_SKIP_TSAN=1 skips it). Any failure or sanitizer report fails the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/native/build-asan"
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DNG_SANITIZE=address,undefined >/dev/null
cmake --build "$build" -j "$jobs"
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

# Max-ulp sweep of ew_math.h, per ISA build (skip builds this CPU cannot run).
flags="$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true)"
for u in "$build"/ew_ulp_*; do
  [ -x "$u" ] || continue
  case "$(basename "$u")" in
    ew_ulp_avx2) [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]] || { echo "== $(basename "$u"): skipped (no AVX2)"; continue; } ;;
    ew_ulp_avx512) [[ " $flags " == *" avx512bw "* && " $flags " == *" avx512dq "* && " $flags " == *" avx512vl "* ]] || { echo "== $(basename "$u"): skipped (no AVX-512)"; continue; } ;;
  esac
  echo "== $(basename "$u")"
  if ! "$u"; then status=1; fi
done

# The thread pool under ThreadSanitizer (pool_test alone: a fast build).
if [ "${NG_SKIP_TSAN:-0}" != 1 ]; then
  tsan="$root/native/build-tsan"
  if cmake -S "$root/native" -B "$tsan" -DCMAKE_BUILD_TYPE=Debug -DNG_SANITIZE=thread >/dev/null &&
     cmake --build "$tsan" -j "$jobs" >/dev/null; then
    echo "== pool_test (ThreadSanitizer)"
    if ! TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" "$tsan/pool_test"; then status=1; fi
  else
    echo "== pool_test (ThreadSanitizer): build failed" >&2
    status=1
  fi
fi
exit $status
