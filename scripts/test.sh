#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, Rust unit and integration tests on
# SQLite and PostgreSQL, three instances on one PostgreSQL behind HAProxy (scripts/cluster.sh), load
# and faults in their bounded form (scripts/stress.sh --quick), then the Playwright suite (hydrated
# and without JavaScript) in Chromium, the binary that carries its site, run alone from an empty
# folder, and Schemathesis against the REST API's OpenAPI document.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
ensure_build_tools
ensure_browser
ensure_postgres

say "Checking formatting"
cargo fmt --check

say "Rust tests (SQLite and PostgreSQL)"
cargo test --all-targets

say "Building the site and the fake provider for the browser tests"
cargo leptos build
cargo build --example fake_provider

if pg_isready -q -d "$KEYHUB_TEST_POSTGRES_URL" 2>/dev/null; then
  say "Three instances on one PostgreSQL database"
  ./scripts/cluster.sh --check
else
  say "PostgreSQL is not running: the three-instance check is skipped (CI requires it)"
fi

say "Load and faults: 200 clients per scenario, bounded (scripts/stress.sh --quick)"
./scripts/stress.sh --quick

say "Playwright (hydrated and without JavaScript)"
rm -rf target/e2e
(cd end2end && npx playwright test)

say "The binary with its site inside, alone in an empty folder"
build_standalone
standalone="$(mktemp -d)"
cp target/debug/keyhub "$standalone/"
(cd end2end && KEYHUB_STANDALONE_DIR="$standalone" npx playwright test --project=standalone)
rm -rf "$standalone"
if command -v systemd-analyze >/dev/null; then
  say "The systemd unit"
  sed "s#/usr/local/bin/keyhub#$(command -v true)#" deploy/keyhub.service > target/keyhub.service
  systemd-analyze verify target/keyhub.service
fi

say "The REST API against its OpenAPI document (Schemathesis, every scope)"
KEYHUB_PREBUILT=1 ./scripts/api-fuzz.sh 50
