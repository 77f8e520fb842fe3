#!/usr/bin/env bash
# The progress summary, GET /v1/enrolments/{id}/progress, under wrk beside pgbench running the same
# transaction with the same number of connections. Builds Release, creates its own database
# (isms_bench_progress) with 500 clusters x 5 organisations and full assessments (progress_data.sql),
# serves it, runs wrk with progress.lua, stops the server, runs pgbench with progress.pgbench, and
# prints both rates and their ratio (target: the endpoint reaches at least 80 % of pgbench's rate).
# See tests/bench/README.md for the knobs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
DURATION="${BENCH_DURATION:-10}"
POOL_SIZE="${BENCH_POOL_SIZE:-4}"
CLUSTERS="${BENCH_CLUSTERS:-500}"
ORGS="${BENCH_ORGS:-5}"
BUILD_DIR="${BENCH_BUILD_DIR:-$ROOT/build/release}"
DB="${BENCH_DB:-isms_bench_progress}"
DURATION="${DURATION%s}"
ENROLMENTS=$((CLUSTERS * ORGS))

bench_require wrk curl pgbench
[[ "$DURATION" =~ ^[0-9]+$ ]] || die "BENCH_DURATION must be whole seconds, e.g. 10 or 10s"
bench_postgres
bench_build "$BUILD_DIR"

have="$(psql_admin postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")"
rows=0
if [[ "$have" == 1 && "${BENCH_REUSE:-1}" == 1 ]]; then
  rows="$(psql_admin "$DB" -tAc "SELECT count(*) FROM isms.enrolments" 2>/dev/null || echo 0)"
fi
create_database() {
  say "creating database $DB: $CLUSTERS clusters x $ORGS organisations, full assessments"
  psql_admin postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  bench_migrate "$DB"
  local start=$SECONDS
  psql_admin "$DB" -v clusters="$CLUSTERS" -v orgs="$ORGS" -f "$BENCH_DIR/progress_data.sql"
  say "data generated in $((SECONDS - start)) s: $(psql_admin "$DB" -tAc \
    "SELECT (SELECT count(*) FROM isms.assessments) || ' assessments, ' || (SELECT count(*) FROM isms.assessment_history) || ' history rows'")"
}
if [[ "$rows" != "$ENROLMENTS" ]]; then
  create_database
elif ! bench_migrate "$DB" 2>/dev/null; then
  say "the migrations of $DB no longer match the files"
  create_database
else
  say "reusing database $DB ($rows enrolments; BENCH_REUSE=0 rebuilds it)"
fi

bench_serve "$DB" "$POOL_SIZE"
code="$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer bench-session-token-1' \
  "$URL/v1/enrolments/00000000-0000-4000-8000-000000000001/progress")"
[[ "$code" == 200 ]] || die "the progress endpoint answers $code: $(tail -n 5 "$LOG")"

say "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, server with ISMS_DB_POOL_SIZE=$POOL_SIZE; $(nproc) CPUs"
export BENCH_ENROLMENTS="$ENROLMENTS"
wrk -t"$THREADS" -c"$CONNECTIONS" -d1s -s "$BENCH_DIR/progress.lua" "$URL" >/dev/null
wrk_line="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$BENCH_DIR/progress.lua" "$URL" | grep '^RESULT')" ||
  die "wrk failed"
stop_server

say "pgbench -M prepared -c$CONNECTIONS -j$THREADS -T$DURATION, the same transaction in one pipeline"
PGB="$(mktemp "${TMPDIR:-/tmp}/isms-bench-pgbench.XXXXXX")"
pgbench_run() {
  "$PG_BINDIR/pgbench" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$1" -D enrolments="$ENROLMENTS" \
    -f "$BENCH_DIR/progress.pgbench" "host=$SOCK port=$PG_PORT dbname=$DB user=isms_app" >"$PGB" 2>&1 ||
    { cat "$PGB" >&2; rm -f "$PGB"; die "pgbench failed"; }
}
pgbench_run 1
pgbench_run "$DURATION"
pg_tps="$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' "$PGB")"
pg_lat="$(sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' "$PGB")"
pg_failed="$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$PGB")"
# For reference: pgbench with as many connections as the server's pool (BENCH_PGBENCH_POOL=0 skips).
pool_tps=""
if [[ "${BENCH_PGBENCH_POOL:-1}" == 1 ]]; then
  say "pgbench -c$POOL_SIZE (the server's pool size), for reference"
  CONNECTIONS_SAVED="$CONNECTIONS" CONNECTIONS="$POOL_SIZE"
  pgbench_run "$DURATION"
  CONNECTIONS="$CONNECTIONS_SAVED"
  pool_tps="$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\)/\1/p' "$PGB")"
fi
rm -f "$PGB"

rps="$(field rps "$wrk_line")"
printf '\n%-30s %10s %9s %9s %8s\n' "" "per second" "p50_ms" "p99_ms" "errors"
printf '%-30s %10s %9s %9s %8s\n' "HTTP endpoint (wrk)" "$rps" "$(field p50_ms "$wrk_line")" \
  "$(field p99_ms "$wrk_line")" "$(($(field errors "$wrk_line") + $(field non2xx "$wrk_line")))"
printf '%-30s %10.0f %9s %9s %8s\n' "same transaction (pgbench)" "$pg_tps" "avg $pg_lat" "" "${pg_failed:-0}"
[[ -z "$pool_tps" ]] || printf '%-30s %10.0f\n' "pgbench with $POOL_SIZE connections" "$pool_tps"
ratio="$(awk -v a="$rps" -v b="$pg_tps" 'BEGIN { printf "%.1f", 100 * a / b }')"
echo
echo "ratio: the endpoint reaches $ratio % of pgbench's rate (target: at least 80 %)"
# The server's log at level warn, without the readiness probes of its start-up.
bench_server_log '"path":"/readyz"'
[[ "$(field errors "$wrk_line")" == 0 && "$(field non2xx "$wrk_line")" == 0 && "${pg_failed:-0}" == 0 ]] ||
  die "some requests failed"
