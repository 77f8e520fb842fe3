#!/usr/bin/env bash
# Shared set-up of the benchmark scripts (sourced, not run): the project-local PostgreSQL, a Release
# build, and a server on a free port. The sourcing script sets ROOT first.
# shellcheck disable=SC2034 # the variables set here are read by the scripts that source this file

BENCH_DIR="$ROOT/tests/bench"
LOCAL_DIR="${ISMS_LOCAL_DIR:-$ROOT/.local}"
PG_PORT="${ISMS_PG_PORT:-55432}"
PG_BINDIR=/usr/lib/postgresql/15/bin

say() { printf '==> %s\n' "$*"; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# $@ = commands that must be on PATH.
bench_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is not installed (deploy/packages.txt: deploy/local.sh setup)"
  done
}

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

# Sets SOCK, starting PostgreSQL with deploy/local.sh setup when it is not running.
bench_postgres() {
  if ! SOCK="$(find_socket_dir)"; then
    say "starting PostgreSQL (deploy/local.sh setup)"
    "$ROOT/deploy/local.sh" setup
    SOCK="$(find_socket_dir)" || die "PostgreSQL is not reachable on port $PG_PORT after deploy/local.sh setup"
  fi
}

# $1 = build directory. Builds the server in Release and sets BIN.
bench_build() {
  say "building (Release) in ${1#"$ROOT"/}"
  mkdir -p "$1"
  { cmake -S "$ROOT" -B "$1" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
    cmake --build "$1" --target isms-cluster -j"$(nproc)"; } >"$1/bench-build.log" 2>&1 ||
    die "the Release build failed; see $1/bench-build.log"
  BIN="$1/isms-cluster"
}

# $1 = database, the rest = psql arguments; as the postgres superuser.
psql_admin() { "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "host=$SOCK port=$PG_PORT dbname=$1 user=postgres" "${@:2}"; }

# $1 = database. Applies the migrations as the superuser; returns their status.
bench_migrate() { ISMS_ADMIN_DATABASE_URL="host=$SOCK port=$PG_PORT dbname=$1 user=postgres" "$BIN" migrate >/dev/null; }

# $1 = database, $2 = pool size. Starts the server on a free port against it at log level warn and
# waits until /readyz answers; sets URL, LOG and SERVER_PID. stop_server ends it (also on exit).
bench_serve() {
  local port="" candidate
  for candidate in $(seq 18080 18279); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      port="$candidate"
      break
    fi
  done
  [[ -n "$port" ]] || die "no free port in 18080-18279"
  URL="http://127.0.0.1:$port"
  LOG="$(mktemp "${TMPDIR:-/tmp}/isms-bench.XXXXXX")"
  ISMS_HTTP_HOST=127.0.0.1 ISMS_HTTP_PORT="$port" ISMS_DB_POOL_SIZE="$2" ISMS_LOG_LEVEL=warn \
    ISMS_DATABASE_URL="host=$SOCK port=$PG_PORT dbname=$1 user=isms_app" "$BIN" serve 2>"$LOG" &
  SERVER_PID=$!
  trap 'stop_server; rm -f "$LOG"' EXIT
  local _
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -n 5 "$LOG")"
    sleep 0.1
  done
  die "/readyz is not 200 after 10 s: $(tail -n 5 "$LOG")"
}

stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
}

# $1 = field name, $2 = the RESULT line of report.lua or progress.lua.
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

# Prints the server's warnings and errors, leaving out the lines that $@ (grep patterns) match.
# shellcheck disable=SC2120 # the patterns are optional
bench_server_log() {
  local args=(-v -e '"msg":"listening"') pattern
  for pattern in "$@"; do args+=(-e "$pattern"); done
  if grep "${args[@]}" "$LOG" >/dev/null; then
    echo "server warnings and errors:"
    grep "${args[@]}" "$LOG" | tail -n 20
  fi
}
