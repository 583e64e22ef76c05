#!/usr/bin/env bash
# Builds the release: a stripped, statically linked Linux binary with the site inside it, into
# dist/ with its SHA-256. `--image` also builds the container image (deploy/Containerfile, Podman)
# as localhost/keyhub:<version>. The binary needs nothing beside it: copy it anywhere, run
# `./keyhub serve`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
ensure_build_tools
ensure_release_tools

target=x86_64-unknown-linux-musl
version="$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)"
binary="dist/keyhub-$version-$target"

say "Building the release site (WASM, JS, CSS)"
cargo leptos build --release --frontend-only

say "Building the static binary with the site inside ($target)"
CC_x86_64_unknown_linux_musl=musl-gcc build_standalone --profile dist --target "$target"

mkdir -p dist
cp "target/$target/dist/keyhub" "$binary"
(cd dist && sha256sum "$(basename "$binary")" > "$(basename "$binary").sha256")
if ldd "$binary" >/dev/null 2>&1; then
  echo "release.sh: $binary is dynamically linked" >&2
  exit 1
fi
say "Built $binary ($(stat -c %s "$binary") bytes, static): $("$binary" --version)"

if [ "${1:-}" = "--image" ]; then
  command -v podman >/dev/null || apt_install podman
  # The image's root: the binary and an empty /data owned by its user (a scratch image has no
  # shell to make it with).
  root="dist/image-root"
  rm -rf "$root" && mkdir -p "$root/data"
  cp "$binary" "$root/keyhub"
  say "Building the image localhost/keyhub:$version"
  podman build --file deploy/Containerfile --tag "localhost/keyhub:$version" --tag localhost/keyhub:latest dist
fi
