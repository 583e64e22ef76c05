#!/usr/bin/env bash
# KeyHub's hot paths side by side, in one run, on loopback, release builds, and prints one table:
#   - the fake provider alone (an axum server: the baseline every other row is measured against),
#   - KeyHub's gateway in front of it (POST /chat/completions), with 1 and 16 connections,
#   - LiteLLM's proxy in front of the same fake provider (installed from PyPI into a virtual
#     environment under target/; skipped with a note when it cannot be installed),
#   - the resolve endpoint and /healthz,
#   - KeyHub's cold start (process start to the first /healthz answer) and its memory (RSS).
# "added" is the row's latency minus the fake provider's at the same number of connections.
# wrk, the servers and the fake provider all share this machine's cores.
#   ./scripts/bench.sh [seconds per run, default 10]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
SECONDS_EACH="${1:-10}"
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
say "Building KeyHub and the fake provider (release)"
# Apart: built with the example, the binary would carry the test-only features of the
# dev-dependencies (reqwest's cookie store) that the shipped binary does not have.
cargo build --release --bin keyhub
cargo build --release --example fake_provider

dir="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fake_port=3211 keyhub_port=3210 litellm_port=3212
provider_key="sk-proj-BENCHbenchBENCHbench0001"
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}]}'

target/release/examples/fake_provider "$fake_port" >"$dir/fake.log" 2>&1 &
wait_for_answer "http://127.0.0.1:$fake_port/openai/models" || true

say "Setting up a KeyHub with one OpenAI key"
export KEYHUB_DATABASE_URL="sqlite://$dir/keyhub.db" KEYHUB_DATA_DIR="$dir" \
  KEYHUB_PROVIDER_BASE_OPENAI="http://127.0.0.1:$fake_port/openai" KEYHUB_ALLOW_PRIVATE_ENDPOINTS=true \
  LEPTOS_SITE_ADDR="127.0.0.1:$keyhub_port" LEPTOS_SITE_ROOT=target/site KEYHUB_REVALIDATE_HOURS=0 \
  KEYHUB_GATEWAY_REQUESTS_PER_MINUTE=0 RUST_LOG=warn
target/release/keyhub migrate >/dev/null
echo "a long benchmark password" | target/release/keyhub create-admin --email bench@example.com --org bench 2>/dev/null
token="$(target/release/keyhub create-token --org bench --name bench --scopes keys:write,keys:read,gateway | tail -1)"
started="$(date +%s%N)"
target/release/keyhub serve >"$dir/keyhub.log" 2>&1 &
keyhub_pid=$!
wait_for_answer "http://127.0.0.1:$keyhub_port/healthz"
cold_ms=$((($(date +%s%N) - started) / 1000000))
curl -sf -X POST "http://127.0.0.1:$keyhub_port/api/v1/orgs/bench/provider-keys" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"provider\":\"openai\",\"api_key\":\"$provider_key\",\"role\":\"primary\"}" >/dev/null

litellm_note=""
venv="target/bench-venv"
if [ ! -x "$venv/bin/litellm" ]; then
  say "Installing LiteLLM's proxy from PyPI into $venv (once)"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'litellm[proxy]'; } >"$dir/pip.log" 2>&1; then
    litellm_note="LiteLLM skipped: it could not be installed ($(tail -1 "$dir/pip.log"))"
  fi
fi
litellm_key=""
if [ -z "$litellm_note" ]; then
  cat >"$dir/litellm.yaml" <<EOF
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:$fake_port/openai
      api_key: $provider_key
EOF
  say "Starting LiteLLM's proxy"
  litellm_key="sk-bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  LITELLM_MASTER_KEY="$litellm_key" LITELLM_LOG=ERROR "$venv/bin/litellm" --config "$dir/litellm.yaml" --host 127.0.0.1 --port "$litellm_port" \
    >"$dir/litellm.log" 2>&1 &
  litellm_pid=$!
  if ! wait_for_answer "http://127.0.0.1:$litellm_port/health/liveliness" ||
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$litellm_port/chat/completions" \
      -H "authorization: Bearer $litellm_key" -H 'content-type: application/json' -d "$body")" != 200 ]; then
    litellm_note="LiteLLM skipped: its proxy did not start ($(tail -1 "$dir/litellm.log"))"
  fi
fi

post_script() { # file body
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' \
    "$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >"$1"
}
post_script "$dir/chat.lua" "$body"
post_script "$dir/resolve.lua" '{"provider":"openai"}'

declare -A P50 P99 RPS
printf '\n%-34s %5s %12s %10s %10s %11s %11s\n' "what" "conns" "requests/s" "p50 ms" "p99 ms" "added p50" "added p99"
row() { # name connections url script [auth] [baseline name]
  local name="$1" conns="$2" url="$3" script="$4" auth="${5:-}" base="${6:-}" out="$dir/run.txt"
  local args=(-t "$((conns < 2 ? 1 : 2))" -c "$conns" -d "${SECONDS_EACH}s" --latency -s "$script")
  [ -n "$auth" ] && args+=(-H "authorization: Bearer $auth")
  wrk "${args[@]}" "$url" >"$out"
  local p50 p99 rps non2xx added50="" added99=""
  p50="$(wrk_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
  p99="$(wrk_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  rps="$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$out")"
  non2xx="$(awk '/Non-2xx/ { print $NF }' "$out")"
  P50["$name/$conns"]="$p50" P99["$name/$conns"]="$p99" RPS["$name/$conns"]="$rps"
  if [ -n "$base" ]; then
    added50="$(awk -v a="$p50" -v b="${P50[$base/$conns]}" 'BEGIN { printf "%.3f", a - b }')"
    added99="$(awk -v a="$p99" -v b="${P99[$base/$conns]}" 'BEGIN { printf "%.3f", a - b }')"
  fi
  printf '%-34s %5s %12s %10s %10s %11s %11s%s\n' "$name" "$conns" "$rps" "$p50" "$p99" \
    "$added50" "$added99" "${non2xx:+  ($non2xx answers were not 2xx)}"
}

fake="http://127.0.0.1:$fake_port/openai/chat/completions"
for conns in 1 16; do
  row "fake provider (axum baseline)" "$conns" "$fake" "$dir/chat.lua" "$provider_key"
  row "KeyHub gateway" "$conns" "http://127.0.0.1:$keyhub_port/gateway/bench/openai/chat/completions" \
    "$dir/chat.lua" "$token" "fake provider (axum baseline)"
  if [ -z "$litellm_note" ]; then
    row "LiteLLM proxy" "$conns" "http://127.0.0.1:$litellm_port/chat/completions" \
      "$dir/chat.lua" "$litellm_key" "fake provider (axum baseline)"
  fi
done
# LiteLLM's background work would take CPU from the rows that follow.
if [ -n "${litellm_pid:-}" ]; then kill "$litellm_pid" 2>/dev/null; wait "$litellm_pid" 2>/dev/null || true; fi
for conns in 1 16; do
  row "KeyHub resolve" "$conns" "http://127.0.0.1:$keyhub_port/api/v1/orgs/bench/resolve" \
    "$dir/resolve.lua" "$token"
done
printf 'wrk.method = "GET"\n' >"$dir/get.lua"
row "KeyHub /healthz" 16 "http://127.0.0.1:$keyhub_port/healthz" "$dir/get.lua"

rss_kb="$(awk '/^VmRSS/ { print $2 }' "/proc/$keyhub_pid/status")"
share() { awk -v a="${RPS[$1]}" -v b="${RPS[fake provider (axum baseline)/16]}" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
printf '\nAt 16 connections, of the fake provider'"'"'s throughput: gateway %s, resolve %s' \
  "$(share "KeyHub gateway/16")" "$(share "KeyHub resolve/16")"
[ -z "$litellm_note" ] && printf ', LiteLLM %s' "$(share "LiteLLM proxy/16")"
printf '\nKeyHub cold start: %s ms to the first /healthz answer; RSS after the runs: %s MiB\n' \
  "$cold_ms" "$((rss_kb / 1024))"
printf 'Machine: %s cores (%s); %ss per run; wrk, servers and the fake provider share the cores.\n' \
  "$(nproc)" "$(uname -m)" "$SECONDS_EACH"
if [ -n "$litellm_note" ]; then printf '%s\n' "$litellm_note"; fi
