#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz with clang and runs each one for a fixed time.
# Usage: tests/fuzz/run.sh [seconds-per-target] [target ...]
#   seconds-per-target  default 20
#   target              fuzz_json, fuzz_router (default: all)
# Environment: FUZZ_CC (default clang), FUZZ_BUILD_DIR (default build/fuzz).
# The corpus grows in $FUZZ_BUILD_DIR/corpus/<target>; a crashing input is saved as
# $FUZZ_BUILD_DIR/artifacts/<target>-crash-<sha1> and the script exits non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_EACH=${1:-20}
if [[ ! $SECONDS_EACH =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-target] [target ...]" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

CC=${FUZZ_CC:-clang}
OUT=${FUZZ_BUILD_DIR:-$ROOT/build/fuzz}
CFLAGS=(-std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer
  "-fsanitize=fuzzer,address,undefined" -fno-sanitize-recover=all)

# Each target and the core sources it needs.
declare -A SOURCES=(
  [fuzz_json]="services/core/json.c"
  [fuzz_router]="services/core/router.c"
)
declare -A DICTS=(
  [fuzz_json]="tests/fuzz/json.dict"
  [fuzz_router]="tests/fuzz/router.dict"
)

targets=("$@")
((${#targets[@]})) || targets=(fuzz_json fuzz_router)

command -v "$CC" >/dev/null || { echo "$CC not found: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
mkdir -p "$OUT/artifacts"
cd "$ROOT"
for target in "${targets[@]}"; do
  [[ -n ${SOURCES[$target]:-} ]] || { echo "unknown target: $target" >&2; exit 2; }
  echo "==> building $target"
  # shellcheck disable=SC2046,SC2086  # pkg-config output and the source list are word lists
  "$CC" "${CFLAGS[@]}" -I services "tests/fuzz/$target.c" ${SOURCES[$target]} \
    $(pkg-config --cflags --libs libcjson) -o "$OUT/$target"
  mkdir -p "$OUT/corpus/$target"
  echo "==> running $target for ${SECONDS_EACH}s"
  "$OUT/$target" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    -dict="${DICTS[$target]}" -artifact_prefix="$OUT/artifacts/$target-" "$OUT/corpus/$target"
done
echo "==> no crashes in ${targets[*]}"
