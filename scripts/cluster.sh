#!/usr/bin/env bash
# Three KeyHub instances on one PostgreSQL database behind HAProxy (round robin), and the proof that
# they act as one (scripts/cluster_check.py): a key disabled through one instance is no longer used
# by any within a second, a revoked token is refused by all within a second, a session made by one
# works on the others, background re-validation runs once, and sign-in failures count across them.
#   ./scripts/cluster.sh           release build: the checks, then gateway throughput through the
#                                  proxy with 1, 2 and 3 instances in rotation
#   ./scripts/cluster.sh --check   debug build, checks only (what the test command runs)
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
mode="${1:-}"
profile=release
[ "$mode" = "--check" ] && profile=debug
ensure_postgres
command -v haproxy >/dev/null || apt_install haproxy
command -v psql >/dev/null || apt_install postgresql-client
command -v curl >/dev/null || apt_install curl
[ "$profile" = release ] && { command -v wrk >/dev/null || apt_install wrk; }

say "Building KeyHub and the fake provider ($profile)"
build_server_and_fake_provider "$profile"
bin="target/$profile/keyhub"

dir="$(mktemp -d)"
database="keyhub_cluster_$$"
admin_url="$KEYHUB_TEST_POSTGRES_URL"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
psql -q "$admin_url" -c "CREATE DATABASE $database" >/dev/null
database_url="${admin_url%/*}/$database"

fake_port=3340 ports=(3301 3302 3303)
# HAProxy's frontend that rotates over the first `count` instances.
rotation() { echo "http://127.0.0.1:$((3300 + $1 * 10))"; }
target/"$profile"/examples/fake_provider "$fake_port" >"$dir/fake.log" 2>&1 &
export KEYHUB_DATABASE_URL="$database_url" KEYHUB_MASTER_KEY="$("$bin" gen-master-key | tail -1)" \
  KEYHUB_PROVIDER_BASE_OPENAI="http://127.0.0.1:$fake_port/openai" KEYHUB_ALLOW_PRIVATE_ENDPOINTS=true \
  LEPTOS_SITE_ROOT=target/site KEYHUB_GATEWAY_REQUESTS_PER_MINUTE=0 RUST_LOG=warn

wait_for() { # url
  for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2
  return 1
}
start_instance() { # number (1-3), re-validation hours (0: off)
  local n="$1" port="${ports[$(($1 - 1))]}"
  mkdir -p "$dir/$n"
  KEYHUB_DATA_DIR="$dir/$n" LEPTOS_SITE_ADDR="127.0.0.1:$port" KEYHUB_REVALIDATE_HOURS="$2" \
    "$bin" serve >>"$dir/instance$n.log" 2>&1 &
  echo $! >"$dir/instance$n.pid"
  wait_for "http://127.0.0.1:$port/healthz"
}

say "Setting up: an org, its owner, two tokens and two OpenAI keys"
"$bin" migrate >/dev/null
admin_password="a long cluster password"
echo "$admin_password" | "$bin" create-admin --email admin@example.com --org acme >/dev/null 2>&1
token="$("$bin" create-token --org acme --name cluster --scopes keys:write,keys:read,gateway | tail -1)"
token2="$("$bin" create-token --org acme --name to-revoke --scopes gateway | tail -1)"
token2_id="$(psql -tA "$database_url" -c "SELECT id FROM api_tokens WHERE name = 'to-revoke'")"
start_instance 1 0
add_key() { # key role
  curl -sf -X POST "http://127.0.0.1:${ports[0]}/api/v1/orgs/acme/provider-keys" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"provider\":\"openai\",\"api_key\":\"$1\",\"role\":\"$2\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["id"])'
}
primary="$(add_key sk-proj-CLUSTERprimary00001 primary)"
fallback="$(add_key sk-proj-CLUSTERfallback0002 fallback)"
kill "$(cat "$dir/instance1.pid")"
wait "$(cat "$dir/instance1.pid")" 2>/dev/null || true
# Both keys due for re-validation: the instances about to start each try at once; one may.
psql -q "$database_url" -c "UPDATE provider_keys SET last_validated_at = 0" >/dev/null
validations_before="$(curl -sf "http://127.0.0.1:$fake_port/_fake/seen" | grep -c '^GET /openai/models$' || true)"

say "Starting three instances and HAProxy"
for n in 1 2 3; do start_instance "$n" 24; done
{
  printf 'global\n  maxconn 8192\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n'
  for count in 1 2 3; do
    printf 'frontend rotation%s\n  bind %s\n  default_backend instances%s\n' "$count" "$(rotation "$count" | sed 's|http://||')" "$count"
    printf 'backend instances%s\n  balance roundrobin\n' "$count"
    for n in $(seq "$count"); do printf '  server instance%s 127.0.0.1:%s\n' "$n" "${ports[$((n - 1))]}"; done
  done
} >"$dir/haproxy.cfg"
haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
wait_for "$(rotation 3)/healthz"

say "Checking that the three act as one"
INSTANCES="$(printf 'http://127.0.0.1:%s ' "${ports[@]}")" PROXY="$(rotation 3)" \
  FAKE="http://127.0.0.1:$fake_port" TOKEN="$token" TOKEN2="$token2" TOKEN2_ID="$token2_id" \
  PRIMARY="$primary" FALLBACK="$fallback" ADMIN_PASSWORD="$admin_password" \
  VALIDATIONS_BEFORE="$validations_before" python3 scripts/cluster_check.py

if [ "$profile" = release ]; then
  say "Gateway throughput through HAProxy (wrk, 16 connections, 10 s each)"
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
    '"{\"model\":\"gpt-4o-mini\",\"messages\":[]}"' >"$dir/chat.lua"
  for count in 1 2 3; do
    url="$(rotation "$count")/gateway/acme/openai/chat/completions"
    wrk -t2 -c16 -d10s --latency -s "$dir/chat.lua" -H "authorization: Bearer $token" "$url" >"$dir/wrk$count.txt"
    printf '%s instance(s): %8s requests/s, p99 %s\n' "$count" \
      "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$dir/wrk$count.txt")" \
      "$(awk '$1 == "99%" { print $2 }' "$dir/wrk$count.txt")"
  done
  printf 'Machine: %s cores; wrk, HAProxy, PostgreSQL, the fake provider and every instance share them.\n' "$(nproc)"
fi
