#!/usr/bin/env bash
# KeyHub's pages as a signed-in admin sees them, in one run on loopback, release build, and prints
# one table:
#   - /hub with 200 keys in the org, /hub/openai with 25 of them, /experts with 50 experts:
#     pages/s, p50 and p99 at 16 connections (wrk, with the session cookie);
#   - the browser bundle's size (scripts/wasm-size.sh).
# wrk, KeyHub and the fake provider (which the keys were checked with) share this machine's cores.
#   ./scripts/bench-pages.sh [seconds per run, default 10]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
SECONDS_EACH="${1:-10}"
ensure_build_tools
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
say "Building the site, KeyHub and the fake provider (release)"
cargo leptos build --release
cargo build --release --example fake_provider

dir="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fake_port=3221 keyhub_port=3220
base="http://127.0.0.1:$keyhub_port"

target/release/examples/fake_provider "$fake_port" >"$dir/fake.log" 2>&1 &
wait_for_answer "http://127.0.0.1:$fake_port/openai/models"
# Every provider of the catalog points at the fake provider.
while IFS= read -r setting; do export "${setting?}"; done \
  < <(target/release/examples/fake_provider --settings "$fake_port")
export KEYHUB_DATABASE_URL="sqlite://$dir/keyhub.db" KEYHUB_DATA_DIR="$dir" \
  LEPTOS_SITE_ADDR="127.0.0.1:$keyhub_port" LEPTOS_SITE_ROOT=target/site KEYHUB_REVALIDATE_HOURS=0 \
  KEYHUB_ALLOW_PRIVATE_ENDPOINTS=true RUST_LOG=warn

say "Setting up an org with 200 keys and 50 experts"
password="a long benchmark password"
target/release/keyhub migrate >/dev/null
echo "$password" | target/release/keyhub create-admin --email bench@example.com --org bench 2>/dev/null
token="$(target/release/keyhub create-token --org bench --name bench --scopes keys:write,keys:read | tail -1)"
target/release/keyhub serve >"$dir/keyhub.log" 2>&1 &
wait_for_answer "$base/healthz"

api() { # method path json
  local answer
  answer="$(curl -sS --fail-with-body -X "$1" "$base/api/v1$2" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d "$3")" || { echo "$1 $2: $answer" >&2; return 1; }
}
add_keys() { # provider prefix count (a secret is stored once: each provider's keys differ)
  local n
  for n in $(seq -w 1 "$3"); do
    api POST /orgs/bench/provider-keys \
      "{\"provider\":\"$1\",\"api_key\":\"$2bench${1}PageKey0000000000${n}0\",\"nickname\":\"$1 key $n\",\"role\":\"fallback\"}"
  done
}
add_keys openai sk-proj- 25
add_keys deepseek sk- 25
add_keys groq gsk_ 25
add_keys mistral "" 25
add_keys xai xai- 25
add_keys fireworks fw_ 25
add_keys together "" 25
add_keys openrouter sk-or-v1- 25
for n in $(seq -w 1 50); do
  api POST /orgs/bench/experts \
    "{\"name\":\"Expert $n\",\"description\":\"Answers questions about topic $n.\",\"slots\":{\"chat\":{\"provider\":\"openai\",\"model\":\"gpt-4o-mini\"}}}"
done
keys="$(curl -sf "$base/api/v1/orgs/bench/provider-keys" -H "authorization: Bearer $token" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get("keys", d.get("items", []))))')"

# A session as a browser gets it: the sign-in form, then its cookie on every page.
curl -s -o /dev/null -c "$dir/cookies" -H "origin: $base" \
  --data-urlencode "email=bench@example.com" --data-urlencode "password=$password" "$base/api/auth/login"
cookie="$(awk '$6 ~ /keyhub_session$/ { print $6 "=" $7 }' "$dir/cookies")"
[ -n "$cookie" ] || { echo "signing in failed" >&2; exit 1; }

printf '\n%-38s %5s %10s %9s %9s %10s\n' "page (signed in, $keys keys)" "conns" "pages/s" "p50 ms" "p99 ms" "bytes"
page_row() { # path
  local out="$dir/run.txt" bytes
  bytes="$(curl -s -H "cookie: $cookie" "$base$1" | wc -c)"
  wrk -t 2 -c 16 -d "${SECONDS_EACH}s" --latency -H "cookie: $cookie" "$base$1" >"$out"
  local non2xx
  non2xx="$(awk '/Non-2xx/ { print $NF }' "$out")"
  printf '%-38s %5s %10s %9s %9s %10s%s\n' "$1" 16 \
    "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")" \
    "$(wrk_ms "$(awk '$1 == "50%" { print $2 }' "$out")")" \
    "$(wrk_ms "$(awk '$1 == "99%" { print $2 }' "$out")")" "$bytes" \
    "${non2xx:+  ($non2xx answers were not 2xx)}"
}
page_row /hub
page_row /hub/openai
page_row /experts

printf '\n'
"$KEYHUB_ROOT/scripts/wasm-size.sh" 2>/dev/null
printf 'Machine: %s cores (%s); %ss per run; wrk, KeyHub and the fake provider share the cores.\n' \
  "$(nproc)" "$(uname -m)" "$SECONDS_EACH"
