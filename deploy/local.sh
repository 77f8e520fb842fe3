#!/usr/bin/env bash
# Local development and CI entry point for isms-cluster on Debian 12.
#   deploy/local.sh serve   install what is missing, start PostgreSQL, build (Release), migrate, load demo data, serve
#   deploy/local.sh test    install what is missing, start PostgreSQL, build (Debug + sanitizers), run every test
#   deploy/local.sh setup   only the shared part: packages, PostgreSQL, database `isms`
#   deploy/local.sh stop    stop the project-local PostgreSQL
# Idempotent: a second run reuses the packages, the database cluster and the build directories.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ISMS_LOCAL_DIR="${ISMS_LOCAL_DIR:-$ROOT/.local}"
ISMS_PG_PORT="${ISMS_PG_PORT:-55432}"
PG_BINDIR=/usr/lib/postgresql/15/bin
PG_OSUSER_NAME=isms-pg
SUDO=()
[[ $EUID -eq 0 ]] || SUDO=(sudo)

say() { printf '==> %s\n' "$*"; }
die() { printf 'local.sh: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
package_list() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$ROOT/deploy/packages.txt" | grep -v '^$'; }

is_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

apt_install() {
  if [[ $EUID -ne 0 ]] && ! command -v sudo >/dev/null; then
    die "missing packages ($*) and no sudo: install them as root"
  fi
  if [[ -z "${APT_UPDATED:-}" ]]; then
    "${SUDO[@]}" apt-get update -q
    APT_UPDATED=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

install_packages() {
  say "installing packages"
  local missing=() pkg
  while read -r pkg; do is_installed "$pkg" || missing+=("$pkg"); done < <(package_list)
  if ((${#missing[@]})); then apt_install "${missing[@]}"; else echo "    all of deploy/packages.txt present"; fi
  # A nodejs from another source may bundle npm; Debian's npm conflicts with it, so add Debian's only when npm is absent.
  command -v npm >/dev/null || apt_install nodejs npm
  local lock dir
  while IFS= read -r -d '' lock; do
    dir="$(dirname "$lock")"
    if [[ ! -d "$dir/node_modules" || "$lock" -nt "$dir/node_modules" ]]; then
      say "npm ci in ${dir#"$ROOT"/}"
      (cd "$dir" && npm ci --no-audit --no-fund) || die "npm ci failed in $dir"
      touch "$dir/node_modules"
    fi
  done < <(find "$ROOT/tests" "$ROOT/web" -name node_modules -prune -o -name package-lock.json -print0 2>/dev/null)
}

# ---------------------------------------------------------------- PostgreSQL
# As root, PostgreSQL runs as the unprivileged system user isms-pg; otherwise as the invoking user.
resolve_pg_dirs() {
  PG_BASE="$ISMS_LOCAL_DIR/pg"
  PG_OSUSER=""
  if [[ $EUID -eq 0 ]]; then
    PG_OSUSER="$PG_OSUSER_NAME"
    id -u "$PG_OSUSER" >/dev/null 2>&1 ||
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OSUSER"
    mkdir -p "$ISMS_LOCAL_DIR"
    # The socket path must stay under the kernel's 107-byte limit; the fallback is short.
    if ! runuser -u "$PG_OSUSER" -- test -x "$ISMS_LOCAL_DIR" || ((${#PG_BASE} > 80)); then
      PG_BASE="/var/lib/isms-cluster/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/pg"
      echo "    $PG_OSUSER cannot reach $ISMS_LOCAL_DIR (or the path is too long): using $PG_BASE"
    fi
    install -d -m 0755 "$(dirname "$PG_BASE")"
    install -d -m 0755 -o "$PG_OSUSER" -g "$PG_OSUSER" "$PG_BASE" "$PG_BASE/run"
  else
    mkdir -p "$PG_BASE/run"
  fi
  PG_DATA="$PG_BASE/data"
  PG_SOCKDIR="$PG_BASE/run"
  PG_LOG="$PG_BASE/postgresql.log"
}

as_pg() {
  if [[ -n "$PG_OSUSER" ]]; then (cd / && runuser -u "$PG_OSUSER" -- "$@"); else "$@"; fi
}

pg_running() { [[ -f "$PG_DATA/PG_VERSION" ]] && as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_settings() {
  cat <<EOF
# Written by deploy/local.sh on every start; ALTER SYSTEM changes here are overwritten.
port = $ISMS_PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCKDIR'
max_connections = 300
shared_buffers = '256MB'
EOF
}

start_postgres() {
  [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PostgreSQL 15 is not installed ($PG_BINDIR/pg_ctl missing)"
  resolve_pg_dirs
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    say "initialising PostgreSQL cluster in $PG_DATA"
    # trust authentication: a local development instance reachable only through its own socket
    # directory and 127.0.0.1, never from the network.
    as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  local conf="$PG_DATA/postgresql.auto.conf"
  if [[ "$(pg_settings)" != "$(cat "$conf" 2>/dev/null || true)" ]]; then
    pg_settings | as_pg tee "$conf" >/dev/null
    if pg_running; then
      say "restarting PostgreSQL with new settings"
      as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -w -m fast -l "$PG_LOG" restart >/dev/null
    fi
  fi
  if pg_running && "$PG_BINDIR/pg_isready" -q -h "$PG_SOCKDIR" -p "$ISMS_PG_PORT"; then
    say "reusing PostgreSQL on port $ISMS_PG_PORT"
  else
    say "starting PostgreSQL on port $ISMS_PG_PORT"
    as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -w -l "$PG_LOG" start >/dev/null ||
      die "PostgreSQL did not start (port $ISMS_PG_PORT in use? set ISMS_PG_PORT); log: $PG_LOG"$'\n'"$(tail -n 5 "$PG_LOG" 2>/dev/null)"
  fi
  ISMS_ADMIN_DATABASE_URL="host=$PG_SOCKDIR port=$ISMS_PG_PORT dbname=isms user=postgres"
  ISMS_DATABASE_URL="host=$PG_SOCKDIR port=$ISMS_PG_PORT dbname=isms user=isms_app"
  export ISMS_ADMIN_DATABASE_URL ISMS_DATABASE_URL
  echo "    ISMS_ADMIN_DATABASE_URL=\"$ISMS_ADMIN_DATABASE_URL\""
  echo "    ISMS_DATABASE_URL=\"$ISMS_DATABASE_URL\""
}

# psql as the postgres superuser; $1 = database, rest = psql arguments
psql_admin() {
  local db="$1"; shift
  "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "host=$PG_SOCKDIR port=$ISMS_PG_PORT dbname=$db user=postgres" "$@"
}

create_database() {
  [[ "$(psql_admin postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" == 1 ]] ||
    psql_admin postgres -c "CREATE DATABASE $1"
}

stop_postgres() {
  if [[ $EUID -eq 0 ]] && ! id -u "$PG_OSUSER_NAME" >/dev/null 2>&1; then
    echo "PostgreSQL: not running"; return 0
  fi
  resolve_pg_dirs
  if pg_running; then
    say "stopping PostgreSQL ($PG_DATA)"
    as_pg "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -w -m fast stop >/dev/null
  else
    echo "PostgreSQL: not running"
  fi
}

# ---------------------------------------------------------------- build, migrate
build() { # $1 = release|debug
  local dir="$ROOT/build/$1" type=Release testing=OFF
  [[ "$1" == debug ]] && type=Debug testing=ON
  say "building ($type) in build/$1"
  { cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DBUILD_TESTING="$testing" &&
    cmake --build "$dir" -j"$(nproc)"; } || die "the $type build failed (build output above)"
  BIN="$dir/isms-cluster"
  [[ -x "$BIN" ]] || die "the build produced no $BIN"
}

migrate() { # $1 = admin connection string
  say "migrating ($1)"
  ISMS_ADMIN_DATABASE_URL="$1" "$BIN" migrate || die "migration failed"
}

setup() {
  install_packages
  start_postgres
  create_database isms
}

# ---------------------------------------------------------------- commands
cmd_serve() {
  setup
  build release
  migrate "$ISMS_ADMIN_DATABASE_URL"
  local help_text
  help_text="$("$BIN" help 2>&1 || true)"
  if grep -q '^  demo' <<<"$help_text"; then
    say "loading demo data"
    "$BIN" demo
  fi
  # The feedback key secret (README, "Who can learn authorship"): made once, kept beside the data.
  local secret="$ISMS_LOCAL_DIR/feedback.secret"
  if [[ -z "${ISMS_FEEDBACK_SECRET_FILE:-}${ISMS_FEEDBACK_SECRET:-}" ]]; then
    [[ -s "$secret" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret")
    export ISMS_FEEDBACK_SECRET_FILE="$secret"
  fi
  export ISMS_HTTP_HOST="${ISMS_HTTP_HOST:-127.0.0.1}" ISMS_HTTP_PORT="${ISMS_HTTP_PORT:-8080}"
  echo "isms-cluster: serving on http://$ISMS_HTTP_HOST:$ISMS_HTTP_PORT/"
  exec "$BIN" serve
}

cmd_test() {
  setup
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  build debug
  say "recreating database isms_test"
  psql_admin postgres -c "DROP DATABASE IF EXISTS isms_test WITH (FORCE)" -c "CREATE DATABASE isms_test"
  psql_admin isms_test -c "CREATE EXTENSION IF NOT EXISTS pgtap"
  export ISMS_TEST_ADMIN_DATABASE_URL="host=$PG_SOCKDIR port=$ISMS_PG_PORT dbname=isms_test user=postgres"
  export ISMS_TEST_DATABASE_URL="host=$PG_SOCKDIR port=$ISMS_PG_PORT dbname=isms_test user=isms_app"
  # Anything in the tests that reads the generic variables gets the test database too.
  export ISMS_ADMIN_DATABASE_URL="$ISMS_TEST_ADMIN_DATABASE_URL" ISMS_DATABASE_URL="$ISMS_TEST_DATABASE_URL"
  export ISMS_TEST_PG_BINDIR="$PG_BINDIR" ISMS_TEST_PG_OSUSER="$PG_OSUSER"
  export ISMS_TEST_PG_SOCKET_DIR="$PG_SOCKDIR" ISMS_TEST_PG_PORT="$ISMS_PG_PORT"
  migrate "$ISMS_TEST_ADMIN_DATABASE_URL"
  say "running tests"
  local log="$ROOT/build/debug/ctest-output.log" status=0 line total=0 failed=0
  ctest --test-dir "$ROOT/build/debug" --output-on-failure -j2 2>&1 | tee "$log" || status=$?
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)"
  if [[ -n "$line" ]]; then
    failed="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
    total="$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")"
  fi
  echo "$((total - failed)) passed, $failed failed"
  exit "$status"
}

case "${1:-}" in
  serve) cmd_serve ;;
  test) cmd_test ;;
  setup) setup ;;
  stop) stop_postgres ;;
  *) echo "usage: $0 serve|test|setup|stop" >&2; exit 2 ;;
esac
