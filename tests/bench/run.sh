#!/usr/bin/env bash
# Throughput of the HTTP core with wrk: /readyz (answered without the database) and /v1/meta (one
# read-only transaction through the pool). Builds Release in build/release, starts the project's
# PostgreSQL with deploy/local.sh setup when it is not running, recreates and migrates a database
# of its own (isms_bench), serves with ISMS_DB_POOL_SIZE=4 and log level warn, prints requests per
# second and latency percentiles, and stops the server. See tests/bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_DIR="$ROOT/tests/bench"
LOCAL_DIR="${ISMS_LOCAL_DIR:-$ROOT/.local}"
PG_PORT="${ISMS_PG_PORT:-55432}"
PG_BINDIR=/usr/lib/postgresql/15/bin
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
DURATION="${BENCH_DURATION:-10s}"
POOL_SIZE="${BENCH_POOL_SIZE:-4}"
DB=isms_bench

say() { printf '==> %s\n' "$*"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is not installed (it is in deploy/packages.txt: deploy/local.sh setup)"
command -v curl >/dev/null || die "curl is not installed"

# The socket directory of the project-local PostgreSQL: deploy/local.sh uses $LOCAL_DIR/pg/run, or a
# short fallback under /var/lib/isms-cluster when it runs as root and that path is unsuitable.
find_socket_dir() {
  local hash dir
  hash="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  for dir in "$LOCAL_DIR/pg/run" "/var/lib/isms-cluster/$hash/pg/run"; do
    if [[ -d "$dir" ]] && "$PG_BINDIR/pg_isready" -q -h "$dir" -p "$PG_PORT" 2>/dev/null; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! SOCK="$(find_socket_dir)"; then
  say "starting PostgreSQL (deploy/local.sh setup)"
  "$ROOT/deploy/local.sh" setup
  SOCK="$(find_socket_dir)" || die "PostgreSQL is not reachable on port $PG_PORT after deploy/local.sh setup"
fi

say "building (Release) in build/release"
{ cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
  cmake --build "$ROOT/build/release" -j"$(nproc)"; } >"$ROOT/build/bench-build.log" 2>&1 ||
  die "the Release build failed; see build/bench-build.log"
BIN="$ROOT/build/release/isms-cluster"

psql_admin() { "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "host=$SOCK port=$PG_PORT dbname=$1 user=postgres" "${@:2}"; }
# The benchmark's own database, recreated on every run: its schema is always the current one.
say "recreating and migrating database $DB"
psql_admin postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
ISMS_ADMIN_DATABASE_URL="host=$SOCK port=$PG_PORT dbname=$DB user=postgres" "$BIN" migrate >/dev/null

# A free port, so that the URL is known before the server starts.
free_port() {
  local port
  for port in $(seq 18080 18179); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "no free port in 18080-18179"
}
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
LOG="$(mktemp "${TMPDIR:-/tmp}/isms-bench.XXXXXX")"

ISMS_HTTP_HOST=127.0.0.1 ISMS_HTTP_PORT="$PORT" ISMS_DB_POOL_SIZE="$POOL_SIZE" ISMS_LOG_LEVEL=warn \
  ISMS_DATABASE_URL="host=$SOCK port=$PG_PORT dbname=$DB user=isms_app" "$BIN" serve 2>"$LOG" &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -f "$LOG"
}
trap stop_server EXIT

for _ in $(seq 100); do
  curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -n 5 "$LOG")"
  sleep 0.1
done
curl -fsS -o /dev/null "$URL/readyz" || die "/readyz is not 200 after 10 s: $(tail -n 5 "$LOG")"

# $1 = path. A one-second warm-up, then the measured run; prints the RESULT line of report.lua.
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d1s "$URL$1" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/report.lua" "$URL$1" | grep '^RESULT'
}

field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

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
if grep -v '"msg":"listening"' "$LOG" >/dev/null; then
  echo "server warnings and errors:"
  grep -v '"msg":"listening"' "$LOG" | tail -n 20
fi
((status == 0)) || die "some requests failed (see errors and non2xx above)"
