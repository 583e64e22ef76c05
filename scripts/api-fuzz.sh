#!/usr/bin/env bash
# The REST API against its own OpenAPI document, with Schemathesis (from PyPI, into a virtual
# environment under target/): a KeyHub on SQLite with one stored key, then every operation with a
# token of all scopes and with a token of each single scope. Fails on a server error (5xx), a
# status, content type or body the document does not describe, or an answer that repeats a key.
#   ./scripts/api-fuzz.sh [examples per operation, default 25] [debug|release, default debug]
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
EXAMPLES="${1:-25}"
PROFILE="${2:-debug}"
SCHEMATHESIS_VERSION=4.32.5

venv="target/schemathesis-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  say "Installing Schemathesis $SCHEMATHESIS_VERSION from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
# KEYHUB_PREBUILT=1: the test command has built both already.
[ -n "${KEYHUB_PREBUILT:-}" ] || build_server_and_fake_provider "$PROFILE"
bin="target/$PROFILE"

dir="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fake_port=3251 keyhub_port=3250
"$bin/examples/fake_provider" "$fake_port" >"$dir/fake.log" 2>&1 &
export KEYHUB_DATABASE_URL="sqlite://$dir/keyhub.db" KEYHUB_DATA_DIR="$dir" KEYHUB_ALLOW_PRIVATE_ENDPOINTS=true \
  LEPTOS_SITE_ADDR="127.0.0.1:$keyhub_port" LEPTOS_SITE_ROOT=target/site KEYHUB_REVALIDATE_HOURS=0 \
  KEYHUB_GATEWAY_REQUESTS_PER_MINUTE=0 RUST_LOG=warn
while IFS= read -r setting; do export "${setting?}"; done < <("$bin/examples/fake_provider" --settings "$fake_port")
"$bin/keyhub" migrate >/dev/null
echo "a long schemathesis password" | "$bin/keyhub" create-admin --email fuzz@example.com --org fuzz 2>/dev/null
token_with() { "$bin/keyhub" create-token --org fuzz --name "$1" --scopes "$1" | tail -1; }
"$bin/keyhub" serve >"$dir/keyhub.log" 2>&1 &
wait_for_answer "http://127.0.0.1:$keyhub_port/healthz"

all="$(token_with keys:read,keys:write,keys:use,gateway)"
export KEYHUB_FUZZ_SECRET="sk-proj-FUZZstoredSECRETfuzz0001"
KEYHUB_FUZZ_KEY_ID="$(curl -sf -X POST "http://127.0.0.1:$keyhub_port/api/v1/orgs/fuzz/provider-keys" \
  -H "authorization: Bearer $all" -H 'content-type: application/json' \
  -d "{\"provider\":\"openai\",\"api_key\":\"$KEYHUB_FUZZ_SECRET\",\"role\":\"primary\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"]["id"])')"
export KEYHUB_FUZZ_KEY_ID

failed=0
for scopes in keys:read,keys:write,keys:use,gateway keys:read keys:write keys:use gateway; do
  token="$all"
  [ "$scopes" = keys:read,keys:write,keys:use,gateway ] || token="$(token_with "$scopes")"
  say "Schemathesis with a token of $scopes ($EXAMPLES examples per operation)"
  if ! PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks "$venv/bin/st" run \
    "http://127.0.0.1:$keyhub_port/api/v1/openapi.json" -H "authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,no_key_in_the_answer \
    --phases examples,coverage,fuzzing --max-examples "$EXAMPLES" --workers 1 --seed 1 \
    --warnings off --no-color; then
    failed=1
  fi
done
if grep -qi "panicked" "$dir/keyhub.log"; then
  grep -i -A5 "panicked" "$dir/keyhub.log"
  failed=1
fi
if grep -q "$KEYHUB_FUZZ_SECRET" "$dir/keyhub.log"; then
  echo "KeyHub's log holds the stored key's secret" >&2
  failed=1
fi
exit "$failed"
