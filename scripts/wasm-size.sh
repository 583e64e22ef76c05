#!/usr/bin/env bash
# Builds the release site and prints the size of what the browser downloads: the WASM bundle and
# its JS, raw, gzip (-9) and brotli (-q 11).
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
ensure_build_tools
command -v brotli >/dev/null || apt_install brotli
cargo leptos build --release >&2
printf '%-38s %10s %10s %10s\n' "browser bundle (release)" "raw" "gzip -9" "brotli 11"
for file in target/site/pkg/keyhub.wasm target/site/pkg/keyhub.js; do
  printf '%-38s %10s %10s %10s\n' "$(basename "$file")" "$(wc -c <"$file")" \
    "$(gzip -9 -c "$file" | wc -c)" "$(brotli -q 11 -c "$file" | wc -c)"
done
