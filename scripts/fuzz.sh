#!/usr/bin/env bash
# Builds the libFuzzer target native/fuzz/kernel_fuzz.cc (kernels + per-ISA sources, clang with
# -fsanitize=fuzzer,address,undefined) and runs it for a bounded time. Exits non-zero on any finding
# (crash, ASan/UBSan report, leak, timeout) or build failure.
#   scripts/fuzz.sh [seconds=60]     env: NODEGRAD_ISA=avx512|avx2|scalar (kernel table; default best),
#                                          FUZZ_JOBS (parallel fuzz workers, default 1), CXX (clang++),
#                                          FUZZ_STRICT=1 (also run the known-finding inputs, see kernel_fuzz.cc)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-60}"
cxx="${CXX:-}"
if [ -z "$cxx" ]; then
  for c in clang++ clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null 2>&1; then cxx="$c"; break; fi
  done
fi
[ -n "$cxx" ] || { echo "fuzz.sh: no clang++ found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

out="$root/native/fuzz/build"
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
common="-std=c++17 -O1 -g -fno-math-errno -fno-trapping-math -I$root/native/include $san"
arch="$(uname -m)"

# source:flags list (per-ISA flags as binding.gyp)
srcs=()
for f in "$root"/native/core/*.cc "$root"/native/isa/scalar/*.cc; do srcs+=("$f|"); done
if [ "$arch" = x86_64 ]; then
  for f in "$root"/native/isa/avx2/*.cc; do srcs+=("$f|-mavx2 -mfma -mf16c"); done
  for f in "$root"/native/isa/avx512/*.cc; do
    srcs+=("$f|-mavx512f -mavx512vl -mavx512bw -mavx512dq -mavx2 -mfma -mf16c -mprefer-vector-width=512")
  done
elif [ "$arch" = aarch64 ]; then
  for f in "$root"/native/isa/neon/*.cc; do srcs+=("$f|"); done
fi

objs=()
compile() {  # src flags obj
  local src="$1" flags="$2" obj="$3"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$root/native/include" -newer "$obj" -name '*.h' -print -quit)" ]; then
    # shellcheck disable=SC2086
    "$cxx" $common -fsanitize=fuzzer-no-link $flags -c "$src" -o "$obj"
  fi
}
pids=()
for entry in "${srcs[@]}"; do
  src="${entry%%|*}"; flags="${entry#*|}"
  rel="${src#"$root"/native/}"; obj="$out/obj/${rel//\//_}.o"
  objs+=("$obj")
  compile "$src" "$flags" "$obj" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$(nproc)" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done
# shellcheck disable=SC2086
strict=""
[ "${FUZZ_STRICT:-0}" = 1 ] && strict="-DNG_FUZZ_STRICT"
# shellcheck disable=SC2086
"$cxx" $common $strict -fsanitize=fuzzer "$root/native/fuzz/kernel_fuzz.cc" "${objs[@]}" -lpthread -o "$out/kernel_fuzz"

echo "fuzz.sh: running kernel_fuzz for ${secs}s (ISA ${NODEGRAD_ISA:-best}, $cxx)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
seeds=("$root/native/fuzz/seeds")
[ -d "${seeds[0]}" ] || seeds=()
cd "$out"
"$out/kernel_fuzz" -max_total_time="$secs" -max_len=4096 -timeout=20 -rss_limit_mb=4096 \
  -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" "${seeds[@]}"
