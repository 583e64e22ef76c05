#!/usr/bin/env bash
# Installs what is missing, builds KeyHub (release, the site inside the binary, precompressed) and
# serves it on http://127.0.0.1:3000 with SQLite under ./data. The first start creates
# data/master.key: back it up.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
ensure_build_tools
say "Building KeyHub (release)"
cargo leptos build --release --frontend-only
build_standalone --release
say "Starting KeyHub on http://127.0.0.1:3000"
exec target/release/keyhub serve
