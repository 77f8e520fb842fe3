#!/usr/bin/env bash
# Throughput of the HTTP core with wrk: /readyz (answered without the database) and /v1/meta (one
# read-only transaction through the pool). Builds Release in build/release, starts the project's
# PostgreSQL with deploy/local.sh setup when it is not running, recreates and migrates a database
# of its own (isms_bench), serves with ISMS_DB_POOL_SIZE=4 and log level warn, prints requests per
# second and latency percentiles, and stops the server. See tests/bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
DURATION="${BENCH_DURATION:-10s}"
POOL_SIZE="${BENCH_POOL_SIZE:-4}"
DB=isms_bench

bench_require wrk curl
bench_postgres
bench_build "$ROOT/build/release"
# The benchmark's own database, recreated on every run: its schema is always the current one.
say "recreating and migrating database $DB"
psql_admin postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
bench_migrate "$DB"
bench_serve "$DB" "$POOL_SIZE"

# $1 = path. A one-second warm-up, then the measured run; prints the RESULT line of report.lua.
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "$URL$1" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/report.lua" "$URL$1" | grep '^RESULT'
}

say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION; server: ISMS_DB_POOL_SIZE=$POOL_SIZE, log level warn; $(nproc) CPUs"
printf '\n%-10s %10s %9s %9s %9s %9s %8s %8s\n' endpoint req/s p50_ms p90_ms p99_ms max_ms errors non2xx
status=0
for path in /readyz /v1/meta; do
  line="$(measure "$path")" || die "wrk failed against $path"
  printf '%-10s %10s %9s %9s %9s %9s %8s %8s\n' "$path" "$(field rps "$line")" "$(field p50_ms "$line")" \
    "$(field p90_ms "$line")" "$(field p99_ms "$line")" "$(field max_ms "$line")" \
    "$(field errors "$line")" "$(field non2xx "$line")"
  [[ "$(field errors "$line")" == 0 && "$(field non2xx "$line")" == 0 ]] || status=1
done
echo
bench_server_log
((status == 0)) || die "some requests failed (see errors and non2xx above)"
