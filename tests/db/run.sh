#!/usr/bin/env bash
# Runs pgTAP test files with pg_prove against the test database.
#   tests/db/run.sh [file.sql ...]     (no arguments: every tests/db/*.sql)
# The connection is ISMS_TEST_ADMIN_DATABASE_URL (a libpq connection string, superuser on the test
# database, exported by deploy/local.sh test); each test file does SET ROLE isms_app where it needs to.
set -euo pipefail

if [[ -z "${ISMS_TEST_ADMIN_DATABASE_URL:-}" ]]; then
  echo "tests/db/run.sh: ISMS_TEST_ADMIN_DATABASE_URL is not set; run the tests through deploy/local.sh test" >&2
  exit 2
fi
command -v pg_prove >/dev/null ||
  { echo "tests/db/run.sh: pg_prove not found (Debian package libtap-parser-sourcehandler-pgtap-perl)" >&2; exit 2; }

files=("$@")
if ((${#files[@]} == 0)); then
  shopt -s nullglob
  files=("$(dirname "${BASH_SOURCE[0]}")"/*.sql)
  ((${#files[@]})) || { echo "tests/db/run.sh: no pgTAP files" >&2; exit 2; }
fi

# pg_prove cannot take a connection string as its database name, so the keyword/value string
# (values without spaces, optionally single-quoted) becomes libpq's environment variables.
read -ra pairs <<<"$ISMS_TEST_ADMIN_DATABASE_URL"
for pair in "${pairs[@]}"; do
  key="${pair%%=*}" value="${pair#*=}"
  [[ "$pair" == *=* ]] || { echo "tests/db/run.sh: cannot parse '$pair' in ISMS_TEST_ADMIN_DATABASE_URL (want key=value ...)" >&2; exit 2; }
  value="${value#\'}" value="${value%\'}"
  case "$key" in
    host) export PGHOST="$value" ;;
    hostaddr) export PGHOSTADDR="$value" ;;
    port) export PGPORT="$value" ;;
    dbname) export PGDATABASE="$value" ;;
    user) export PGUSER="$value" ;;
    password) export PGPASSWORD="$value" ;;
    sslmode) export PGSSLMODE="$value" ;;
    connect_timeout) export PGCONNECT_TIMEOUT="$value" ;;
    application_name) export PGAPPNAME="$value" ;;
    *) echo "tests/db/run.sh: unsupported connection keyword '$key' in ISMS_TEST_ADMIN_DATABASE_URL" >&2; exit 2 ;;
  esac
done

exec pg_prove --failures "${files[@]}"
