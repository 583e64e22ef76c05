#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, Rust unit and integration tests on
# SQLite and PostgreSQL, then the Playwright suite (hydrated and without JavaScript) in Chromium.
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

say "Playwright (hydrated and without JavaScript)"
rm -rf target/e2e
(cd end2end && npx playwright test)
