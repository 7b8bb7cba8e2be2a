#!/usr/bin/env bash
# AArch64 (NEON) kernel tests on an x86 machine: cross-compiles native/ with aarch64-linux-gnu-g++
# and runs the C++ tests under qemu-aarch64 (npm run test:arm64). Needs the Debian packages
# g++-aarch64-linux-gnu and qemu-user. UBSan only: ASan's shadow memory does not work under qemu-user.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/native/build-arm64"
cxx="${CXX_AARCH64:-aarch64-linux-gnu-g++}"
sysroot="${AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}"
for tool in "$cxx" qemu-aarch64; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-arm64: '$tool' not found (apt-get install g++-aarch64-linux-gnu qemu-user)" >&2
    exit 2
  fi
done
cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_CXX_COMPILER="$cxx" \
  -DNG_SANITIZE=undefined >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for isa in "" scalar; do
  for t in "$build"/*_test; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t") (qemu-aarch64) NODEGRAD_ISA=${isa:-<best>}"
    if ! NODEGRAD_ISA="$isa" qemu-aarch64 -L "$sysroot" "$t"; then status=1; fi
  done
done
exit $status
