#!/usr/bin/env bash
# Builds the release site and prints the size of the WASM bundle the browser downloads.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
ensure_build_tools
cargo leptos build --release >&2
wasm="target/site/pkg/keyhub.wasm"
printf 'release WASM: %s bytes (%s bytes gzipped) — %s\n' \
  "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$wasm"
