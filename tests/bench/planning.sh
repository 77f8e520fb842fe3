#!/usr/bin/env bash
# Builds and runs the scheduler benchmark (no database, no server):
#   tests/bench/planning.sh
# The scheduler's sources are compiled with -O2 together with tests/bench/planning_bench.c.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sources=()
for name in scheduler plan_ctx plan_coaching plan_explain plan_validate plan_date; do
  sources+=("$root/services/planning/$name.c")
done
cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$root/services" \
   "${sources[@]}" "$root/tests/bench/planning_bench.c" -o "$out/planning_bench"
"$out/planning_bench"
