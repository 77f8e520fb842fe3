#!/usr/bin/env bash
# Contract checks for proto/openapi.yaml.
#
# Usage: tests/contract/test_openapi.sh PATH/TO/SERVER_BINARY
#
#   1. lint: `redocly lint` (config: tests/contract/redocly.yaml) reports no error;
#   2. routes: the METHOD PATH pairs in the spec are exactly those printed by
#      `SERVER_BINARY routes` (one `METHOD /path/{param}` line per route);
#   3. permissions: every operation of the spec has an `x-permission` in the vocabulary of
#      services/core/permission.h, and it declares what the server's route table declares
#      (`SERVER_BINARY routes --permissions`).
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

# --- 3. x-permission in the spec == the route table's declaration -------------
if ! python3 - "$spec" >"$tmp/perm_spec.txt" 2>"$tmp/perm_spec.err" <<'EOF'
import sys
import yaml

METHODS = ("get", "put", "post", "delete", "patch")
ROLES = {"anyone", "user", "org_admin", "org_member", "coordinator", "coach", "trainer",
         "cluster_creator"}
SCOPES = {"none", "self", "organisation", "enrolment", "cluster", "session"}
with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.safe_load(f)
bad = 0


def grants(items, where):
    global bad
    out = []
    for g in items or []:
        if not isinstance(g, dict) or g.get("role") not in ROLES or g.get("scope") not in SCOPES \
                or set(g) - {"role", "scope", "when"}:
            print(f"{where}: invalid grant {g!r}", file=sys.stderr)
            bad += 1
            continue
        out.append(f"{g['role']}:{g['scope']}" + (f"?{g['when']}" if g.get("when") else ""))
    return out


for path, item in (doc.get("paths") or {}).items():
    for key, op in (item or {}).items():
        if key not in METHODS:
            continue
        where = f"{key.upper()} {path}"
        perm = op.get("x-permission")
        if not isinstance(perm, dict):
            print(f"{where}: no x-permission", file=sys.stderr)
            bad += 1
            continue
        g = grants(perm.get("grants"), where)
        refusal = perm.get("refusal", "not_found")
        readers = grants(perm.get("readers"), where)
        if not g or refusal not in ("not_found", "forbidden") or bool(readers) != (refusal == "forbidden"):
            print(f"{where}: x-permission needs grants, and readers exactly when refusal is forbidden",
                  file=sys.stderr)
            bad += 1
            continue
        text = " ".join(g) + (" | forbidden to " + " ".join(readers) if readers else "")
        print(f"{where}\t{text}")
sys.exit(1 if bad else 0)
EOF
then
    cat "$tmp/perm_spec.err"
    fail "permissions: an operation of proto/openapi.yaml has no valid x-permission"
elif [ -z "$server" ] || [ ! -x "$server" ]; then
    fail "permissions: no server binary to compare with"
elif ! "$server" routes --permissions >"$tmp/perm_server.raw" 2>"$tmp/perm_server.err"; then
    cat "$tmp/perm_server.err"
    fail "permissions: '$server routes --permissions' failed (a route without a valid declaration?)"
else
    LC_ALL=C sort "$tmp/perm_spec.txt" >"$tmp/perm_spec.sorted"
    sed -e 's/[[:space:]]*$//' -e '/^$/d' "$tmp/perm_server.raw" | LC_ALL=C sort >"$tmp/perm_server.sorted"
    if diff -u --label "proto/openapi.yaml x-permission" --label "$server routes --permissions" \
            "$tmp/perm_spec.sorted" "$tmp/perm_server.sorted"; then
        pass "permissions: $(wc -l <"$tmp/perm_spec.sorted") operations declare the same x-permission in the spec and the server"
    else
        fail "permissions: the spec's x-permission and the route tables disagree"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
