#!/usr/bin/env bash
# Checks the deploy files that cannot be run here (no Docker engine, no systemd as init):
# they parse, agree with each other and with deploy/packages.txt, and the scripts are sound.
# $1 (the server binary) is not needed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
passed=0 failed=0

check() { # check "description" command...
  local desc="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "ok   $desc"
  else
    failed=$((failed + 1)); echo "FAIL $desc"; [[ -z "$out" ]] || echo "       ${out//$'\n'/$'\n'       }"
  fi
}

packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' deploy/packages.txt | grep -v '^$'; }

compose_ok() {
  python3 - <<'EOF'
import sys, yaml
doc = yaml.safe_load(open("docker-compose.yml"))
s = doc.get("services") or {}
errors = [f"missing service {n}" for n in ("db", "migrate", "server") if n not in s]
if not errors:
    if not str(s["db"].get("image", "")).startswith("postgres:15"):
        errors.append("db must use the postgres:15 image")
    if "healthcheck" not in s["db"]:
        errors.append("db needs a healthcheck")
    if (s["migrate"].get("depends_on") or {}).get("db", {}).get("condition") != "service_healthy":
        errors.append("migrate must wait for db to be healthy")
    if (s["server"].get("depends_on") or {}).get("migrate", {}).get("condition") != "service_completed_successfully":
        errors.append("server must wait for migrate to complete successfully")
    if s["migrate"].get("command") not in (["migrate"], "migrate"):
        errors.append("migrate must run `migrate`")
    if s["server"].get("command") not in (["serve"], "serve"):
        errors.append("server must run `serve`")
    if "ISMS_ADMIN_DATABASE_URL" not in (s["migrate"].get("environment") or {}):
        errors.append("migrate needs ISMS_ADMIN_DATABASE_URL")
    if "ISMS_DATABASE_URL" not in (s["server"].get("environment") or {}):
        errors.append("server needs ISMS_DATABASE_URL")
    if not any("8080" in str(p) for p in s["server"].get("ports") or []):
        errors.append("server must publish port 8080")
    for n in ("migrate", "server"):
        if "build" not in s[n] and "image" not in s[n]:
            errors.append(f"{n} has neither build nor image")
print("\n".join(errors))
sys.exit(1 if errors else 0)
EOF
}

dockerfile_uses_packages() {
  [[ "$(grep -c 'COPY deploy/packages.txt' deploy/Dockerfile)" -ge 2 ]] || { echo "both stages must COPY deploy/packages.txt"; return 1; }
  [[ "$(grep -cE '/tmp/packages.txt.*(xargs|apt-get)|xargs apt-get install' deploy/Dockerfile)" -ge 2 ]] ||
    { echo "both stages must apt-get install from packages.txt"; return 1; }
}

dockerfile_runtime() {
  local f=deploy/Dockerfile
  grep -q '^ENTRYPOINT \["isms-cluster"\]' $f && grep -q '^CMD \["serve"\]' $f && grep -q '^EXPOSE 8080' $f &&
    grep -q 'ISMS_HTTP_HOST=0.0.0.0' $f && grep -q 'ISMS_MIGRATIONS_DIR=/usr/share/isms-cluster/migrations' $f &&
    grep -qE '^USER [^r0]' $f && [[ "$(grep -c '^FROM debian:12' $f)" -eq 2 ]]
}

apt_packages_exist() { # one apt-cache call: it is slow per package
  local wanted found missing names
  wanted="$(packages | sort -u)"
  mapfile -t names <<<"$wanted"
  found="$(apt-cache show --no-all-versions "${names[@]}" 2>/dev/null | sed -n 's/^Package: //p' | sort -u)"
  missing="$(comm -23 <(echo "$wanted") <(echo "$found"))"
  [[ -z "$missing" ]] || { echo "not in apt: ${missing//$'\n'/ }"; return 1; }
}

unit_ok() {
  local f=deploy/isms-cluster.service
  grep -q '^ExecStart=/usr/local/bin/isms-cluster serve' $f && grep -q '^WantedBy=multi-user.target' $f &&
    grep -qE '^(DynamicUser=yes|User=)' $f
}

check "docker-compose.yml parses and has db, migrate and server wired as intended" compose_ok
check "deploy/Dockerfile installs from deploy/packages.txt in both stages" dockerfile_uses_packages
check "deploy/Dockerfile runtime stage: non-root, entrypoint, port, env" dockerfile_runtime
check "deploy/local.sh reads deploy/packages.txt" grep -q 'deploy/packages.txt' deploy/local.sh
check "deploy/packages.txt is not empty" test -n "$(packages)"
if compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  check "every package in deploy/packages.txt exists in apt" apt_packages_exist
else
  echo "skip every package in deploy/packages.txt exists in apt (no apt lists: run apt-get update)"
fi
check "deploy/isms-cluster.service has ExecStart, an unprivileged user and [Install]" unit_ok
check "deploy/SCALING.md exists" test -s deploy/SCALING.md
for script in deploy/local.sh .ci/run tests/db/run.sh; do
  check "$script is executable" test -x "$script"
  check "$script passes bash -n" bash -n "$script"
done
if command -v shellcheck >/dev/null; then
  check "shellcheck on the deploy scripts" shellcheck deploy/local.sh .ci/run tests/db/run.sh tests/contract/test_deploy.sh
else
  echo "skip shellcheck (not installed)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
