#!/usr/bin/env bash
# What the gateway adds to a provider call: wrk against the fake provider directly and through
# KeyHub's gateway in front of it, in one run, on loopback, release builds. Prints latency (p50,
# p99) and throughput for both. Everything shares this machine's cores, wrk included.
#   ./scripts/bench-gateway.sh [seconds] [connections]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
SECONDS_EACH="${1:-10}"
CONNECTIONS="${2:-16}"
command -v wrk >/dev/null || apt_install wrk
say "Building KeyHub and the fake provider (release)"
cargo build --release --bin keyhub --example fake_provider

dir="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT
fake_port=3211 keyhub_port=3210
target/release/examples/fake_provider "$fake_port" >"$dir/fake.log" 2>&1 &
export KEYHUB_DATABASE_URL="sqlite://$dir/keyhub.db" KEYHUB_DATA_DIR="$dir" \
  KEYHUB_PROVIDER_BASE_OPENAI="http://127.0.0.1:$fake_port/openai" KEYHUB_ALLOW_PRIVATE_ENDPOINTS=true \
  LEPTOS_SITE_ADDR="127.0.0.1:$keyhub_port" LEPTOS_SITE_ROOT=target/site KEYHUB_REVALIDATE_HOURS=0 \
  KEYHUB_GATEWAY_REQUESTS_PER_MINUTE=0 RUST_LOG=warn
target/release/keyhub migrate >/dev/null
echo "a long benchmark password" | target/release/keyhub create-admin --email bench@example.com --org bench 2>/dev/null
token="$(target/release/keyhub create-token --org bench --name bench --scopes keys:write,gateway | tail -1)"
target/release/keyhub serve >"$dir/keyhub.log" 2>&1 &
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$keyhub_port/healthz" >/dev/null && break; sleep 0.1; done
provider_key="sk-proj-BENCHbenchBENCHbench0001"
curl -sf -X POST "http://127.0.0.1:$keyhub_port/api/v1/orgs/bench/provider-keys" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"provider\":\"openai\",\"api_key\":\"$provider_key\",\"role\":\"primary\"}" >/dev/null

run() { # name url key
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -H "authorization: Bearer $3" "$2" >"$dir/$1.txt"
  local p50 p99 rps
  p50="$(awk '$1 == "50%" { print $2 }' "$dir/$1.txt")"
  p99="$(awk '$1 == "99%" { print $2 }' "$dir/$1.txt")"
  rps="$(awk '/^Requests\/sec/ { print $2 }' "$dir/$1.txt")"
  printf '%-16s p50 %-9s p99 %-9s %10s requests/s\n' "$1" "$p50" "$p99" "$rps"
}
say "wrk: ${SECONDS_EACH}s each, $CONNECTIONS connections, GET /models"
run "provider direct" "http://127.0.0.1:$fake_port/openai/models" "$provider_key"
run "through gateway" "http://127.0.0.1:$keyhub_port/gateway/bench/openai/models" "$token"
