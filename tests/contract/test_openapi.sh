#!/usr/bin/env bash
# Contract checks for proto/openapi.yaml.
#
# Usage: tests/contract/test_openapi.sh PATH/TO/SERVER_BINARY
#
#   1. lint: `redocly lint` (config: tests/contract/redocly.yaml) reports no error;
#   2. routes: the METHOD PATH pairs in the spec are exactly those printed by
#      `SERVER_BINARY routes` (one `METHOD /path/{param}` line per route).
#
# Needs `npm ci` in tests/contract first (for redocly) and python3 with PyYAML.
# Ends with `N passed, M failed`; exits non-zero when a check failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="$here/../../proto/openapi.yaml"
server="${1:-}"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- 1. lint ---------------------------------------------------------------
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
    fail "lint: redocly is not installed (run: npm ci --prefix tests/contract)"
elif (cd "$here" &&
      REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 \
      npx --no-install redocly lint --config redocly.yaml ../../proto/openapi.yaml) \
      >"$tmp/lint.out" 2>&1; then
    pass "lint: redocly lint proto/openapi.yaml"
else
    # Drop the boxed Node.js deprecation banner, keep the findings.
    grep -v '[║╔╚]' "$tmp/lint.out"
    fail "lint: redocly lint proto/openapi.yaml reported errors"
fi

# --- 2. routes in the spec == routes in the server ---------------------------
if ! python3 - "$spec" >"$tmp/spec.txt" 2>"$tmp/spec.err" <<'EOF'
import sys
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.safe_load(f)
for path, item in (doc.get("paths") or {}).items():
    for key in item or {}:
        if key in METHODS:
            print(f"{key.upper()} {path}")
EOF
then
    cat "$tmp/spec.err"
    fail "routes: cannot read the paths of proto/openapi.yaml"
elif [ -z "$server" ]; then
    fail "routes: no server binary given (usage: $0 PATH/TO/SERVER_BINARY)"
elif [ ! -x "$server" ]; then
    fail "routes: server binary '$server' not found or not executable (build it first)"
elif ! "$server" routes >"$tmp/server.raw" 2>"$tmp/server.err"; then
    cat "$tmp/server.err"
    fail "routes: '$server routes' failed (is the server built?)"
else
    LC_ALL=C sort "$tmp/spec.txt" >"$tmp/spec.sorted"
    # Ignore blank lines and trailing whitespace/CR in the server's output.
    sed -e 's/[[:space:]]*$//' -e '/^$/d' "$tmp/server.raw" | LC_ALL=C sort >"$tmp/server.sorted"
    if [ ! -s "$tmp/server.sorted" ]; then
        fail "routes: '$server routes' printed no route"
    elif diff -u --label "proto/openapi.yaml" --label "$server routes" \
            "$tmp/spec.sorted" "$tmp/server.sorted"; then
        pass "routes: $(wc -l <"$tmp/spec.sorted") routes in the spec match the server"
    else
        fail "routes: the spec and the server disagree (- only in the spec, + only in the server)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
