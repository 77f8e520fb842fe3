#!/usr/bin/env bash
# End-to-end tests of the browser UI in a real browser.
#
# Usage: tests/e2e/test_e2e.sh PATH/TO/SERVER_BINARY
#
# Needs ISMS_TEST_ADMIN_DATABASE_URL and ISMS_TEST_DATABASE_URL (deploy/local.sh test exports
# them), node with `npm ci` done in tests/e2e (playwright-core, axe-core) and in web/ (uPlot), and
# Debian's chromium (/usr/bin/chromium, or E2E_CHROMIUM). The run gets its own database beside the
# test database (<name>_e2e, made afresh: the journeys change the demo cluster, which other tests
# read as the demo leaves it), loads the demo with `isms-cluster demo`, moves its programme to start
# next week when it lies in the past, starts the server on a free port, runs the journeys
# (tests/e2e/*.test.mjs, node's test runner, one file after the other), stops the server and
# prints `N passed, M failed`. Screenshots of the main screens go to build/e2e-screenshots/, or to
# the folder named by E2E_SCREENSHOTS: `E2E_SCREENSHOTS=tests/e2e/screenshots` refreshes the
# pictures in README.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server="${1:-}"
work="$(mktemp -d)"
server_pid=""
export E2E_PASSWORD="e2e-demo-password"

finish() { # $1 passed, $2 failed
    [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    echo "$1 passed, $2 failed"
    rm -rf "$work"
    [[ "$2" -eq 0 && "$1" -gt 0 ]]
    exit $?
}
fail_setup() {
    echo "FAIL: $*"
    [[ -f "$work/server.log" ]] && tail -n 20 "$work/server.log"
    finish 0 1
}

# ---- prerequisites ------------------------------------------------------------------------------
[[ -x "$server" ]] || fail_setup "no server binary given or not executable (usage: $0 PATH/TO/isms-cluster)"
[[ -n "${ISMS_TEST_ADMIN_DATABASE_URL:-}" && -n "${ISMS_TEST_DATABASE_URL:-}" ]] ||
    fail_setup "ISMS_TEST_ADMIN_DATABASE_URL and ISMS_TEST_DATABASE_URL must be set (deploy/local.sh test sets them)"
command -v node >/dev/null || fail_setup "node is not installed"
chromium="${E2E_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || fail_setup "chromium not found at $chromium (apt-get install chromium)"
[[ -d "$here/node_modules/playwright-core" && -d "$here/node_modules/axe-core" ]] ||
    fail_setup "run npm ci in tests/e2e first"
[[ -f "$here/../../web/node_modules/uplot/dist/uPlot.esm.js" ]] || fail_setup "run npm ci in web/ first"
psql="psql"
[[ -n "${ISMS_TEST_PG_BINDIR:-}" && -x "$ISMS_TEST_PG_BINDIR/psql" ]] && psql="$ISMS_TEST_PG_BINDIR/psql"

# ---- a database of its own ----------------------------------------------------------------------
# Connection strings in key=value form: the database name is replaced, the rest kept.
with_db() { # $1 conninfo, $2 database
    if [[ "$1" =~ (^|[[:space:]])dbname=[^[:space:]]+ ]]; then
        sed -E "s/(^|[[:space:]])dbname=[^[:space:]]+/\1dbname=$2/" <<<"$1"
    else
        echo "$1 dbname=$2"
    fi
}
test_db="$(sed -nE 's/.*(^|[[:space:]])dbname=([^[:space:]]+).*/\2/p' <<<"$ISMS_TEST_ADMIN_DATABASE_URL")"
db="${test_db:-isms_test}_e2e"
admin_url="$(with_db "$ISMS_TEST_ADMIN_DATABASE_URL" "$db")"
app_url="$(with_db "$ISMS_TEST_DATABASE_URL" "$db")"
"$psql" -X -q -v ON_ERROR_STOP=1 "$(with_db "$ISMS_TEST_ADMIN_DATABASE_URL" postgres)" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >"$work/db.log" 2>&1 ||
    fail_setup "cannot create database $db: $(cat "$work/db.log")"
ISMS_ADMIN_DATABASE_URL="$admin_url" "$server" migrate >"$work/migrate.log" 2>&1 ||
    fail_setup "migration failed: $(tail -n 5 "$work/migrate.log")"

if "$server" help 2>&1 | grep -q '^  demo'; then
    ISMS_ADMIN_DATABASE_URL="$admin_url" ISMS_DEMO_PASSWORD="$E2E_PASSWORD" "$server" demo >"$work/demo.log" 2>&1 ||
        fail_setup "isms-cluster demo failed: $(tail -n 5 "$work/demo.log")"
    cluster="$(sed -nE '1s/.*\(([0-9a-f-]{36})\)$/\1/p' "$work/demo.log")"
    [[ -n "$cluster" ]] || fail_setup "the demo printed no cluster id: $(head -n 3 "$work/demo.log")"
    "$psql" -X -q -v ON_ERROR_STOP=1 -v cluster="$cluster" "$admin_url" -f "$here/shift_demo.sql" >"$work/shift.log" 2>&1 ||
        fail_setup "moving the demo programme failed: $(cat "$work/shift.log")"
else
    fail_setup "this build has no 'isms-cluster demo' command to load the demo cluster"
fi

# ---- the server ---------------------------------------------------------------------------------
ISMS_DATABASE_URL="$app_url" ISMS_HTTP_HOST=127.0.0.1 ISMS_HTTP_PORT=0 ISMS_LOG_LEVEL=warn \
    ISMS_WEB_DIR="$(cd "$here/../../web" && pwd)" "$server" serve >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do
    port="$(sed -nE 's/.*"msg":"listening".*"port":([0-9]+).*/\1/p' "$work/server.log" | head -n 1)"
    [[ -n "$port" ]] && node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "http://127.0.0.1:$port/readyz" && break
    kill -0 "$server_pid" 2>/dev/null || fail_setup "the server exited"
    sleep 0.1
done
[[ -n "$port" ]] || fail_setup "the server did not start"
export E2E_BASE_URL="http://127.0.0.1:$port" E2E_CHROMIUM="$chromium" E2E_ADMIN_DATABASE_URL="$admin_url" E2E_PSQL="$psql"

# ---- the journeys -------------------------------------------------------------------------------
cd "$here" || fail_setup "cannot enter $here"
files=(./*.test.mjs)
node --test --test-concurrency=1 --test-timeout=120000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/results.tap" "${files[@]}"
status=$?
passed="$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$work/results.tap" | tail -n 1)"
failed="$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$work/results.tap" | tail -n 1)"
passed="${passed:-0}"
failed="${failed:-0}"
[[ "$status" -ne 0 && "$failed" -eq 0 ]] && failed=1
kill -TERM "$server_pid" 2>/dev/null
wait "$server_pid"
server_status=$?
server_pid=""
if [[ "$server_status" -ne 0 ]]; then
    echo "FAIL: the server exited with status $server_status"
    tail -n 20 "$work/server.log"
    failed=$((failed + 1))
fi
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$work/server.log"; then
    echo "FAIL: the server reported a sanitizer error:"
    grep -A 20 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$work/server.log" | head -n 40
    failed=$((failed + 1))
fi
"$psql" -X -q "$(with_db "$ISMS_TEST_ADMIN_DATABASE_URL" postgres)" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
finish "$passed" "$failed"
