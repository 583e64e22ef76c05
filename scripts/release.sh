#!/usr/bin/env bash
# Builds the release: a stripped, statically linked Linux binary with the site inside it, into
# dist/ with its SHA-256. The binary needs nothing beside it: copy it anywhere, run `./keyhub serve`.
#   --image  also builds the container image (deploy/Containerfile, Podman) as localhost/keyhub
#   --smoke  then runs the Playwright smoke test on the binary alone in an empty folder, and with
#            --image on the binary taken out of the image and on the running container
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
image=false smoke=false
for option in "$@"; do
  case "$option" in
    --image) image=true ;;
    --smoke) smoke=true ;;
    *) echo "release.sh: unknown option $option (--image, --smoke)" >&2; exit 2 ;;
  esac
done
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
if ! ldd "$binary" 2>&1 | grep -qE "statically linked|not a dynamic executable"; then
  echo "release.sh: $binary is dynamically linked: $(ldd "$binary" 2>&1)" >&2
  exit 1
fi
say "Built $binary ($(stat -c %s "$binary") bytes, static): $("$binary" --version)"

if $image; then
  command -v podman >/dev/null || apt_install podman
  # The image's root: the binary and an empty /data owned by its user (a scratch image has no
  # shell to make it with).
  root="dist/image-root"
  rm -rf "$root" && mkdir -p "$root/data"
  cp "$binary" "$root/keyhub"
  say "Building the image localhost/keyhub:$version"
  # Docker's format: the OCI format has no HEALTHCHECK.
  podman build --format docker --file deploy/Containerfile --tag "localhost/keyhub:$version" --tag localhost/keyhub:latest dist
fi

# The standalone Playwright project on the binary in `$1`, a folder holding nothing else.
smoke_alone() {
  (cd end2end && KEYHUB_STANDALONE_DIR="$1" npx playwright test --project=standalone)
}

if $smoke; then
  ensure_browser
  cargo build --example fake_provider
  alone="$(mktemp -d)"
  cp "$binary" "$alone/keyhub"
  say "Smoke test: $binary alone in $alone"
  smoke_alone "$alone"
  if $image; then
    unpacked="$(mktemp -d)"
    created="$(podman create "localhost/keyhub:$version")"
    podman export "$created" | tar -x -C "$unpacked"
    podman rm "$created" >/dev/null
    say "The image holds: $(cd "$unpacked" && find . -mindepth 1 | sort | tr '\n' ' ')"
    say "Smoke test: the binary taken out of the image"
    rm -rf "$unpacked/data"
    smoke_alone "$unpacked"
    say "Smoke test: the container"
    # Podman's default limits (1M open files) can exceed what a sandbox allows, and crun refuses
    # hybrid cgroups: run with this machine's limits, and with runc.
    command -v runc >/dev/null || apt_install runc
    export KEYHUB_PODMAN_FLAGS="--runtime runc"
    export KEYHUB_PODMAN_RUN_FLAGS="--ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=4096:4096"
    (cd end2end && KEYHUB_STANDALONE_IMAGE="localhost/keyhub:$version" npx playwright test --project=standalone)
  fi
fi
