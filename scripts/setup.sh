#!/usr/bin/env bash
# Installs whatever KeyHub's build and tests need and is missing. Sourced by serve.sh and test.sh.
# Every step checks first, so a second run is fast. Nothing is downloaded from outside the package
# registries: cargo-leptos finds wasm-bindgen, tailwindcss and wasm-opt on PATH and never fetches them.
set -euo pipefail

KEYHUB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.6"
export PATH="$HOME/.cargo/bin:$KEYHUB_ROOT/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  say "Installing $* from Debian's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Waits up to a minute for any HTTP answer from a url.
wait_for_answer() {
  for _ in $(seq 1200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" != 000 ] && return 0
    sleep 0.05
  done
  echo "no answer from $1" >&2
  return 1
}

# A latency as wrk prints it (850.00us, 1.20ms, 2.01s) in milliseconds.
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# The wasm-bindgen CLI must equal the crate version pinned in Cargo.lock.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$KEYHUB_ROOT/Cargo.lock"
}

ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes on two cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  local wanted
  wanted="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wanted" ]; then
    say "Installing wasm-bindgen-cli $wanted"
    # Not --locked: its lockfile pins a webpki-roots version the registry here lacks.
    cargo install wasm-bindgen-cli --version "$wanted" --force
  fi
}

# Installs a folder's npm packages unless its node_modules already match its lockfile. `npm install`
# rather than `npm ci`: npm here writes only this platform's optional packages (Tailwind's native
# builds) into the lockfile, which `npm ci` then rejects; `npm install` follows the lockfile as is.
ensure_npm_packages() {
  local dir="$1"
  command -v npm >/dev/null || apt_install nodejs npm
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    say "Installing npm packages in ${dir#"$KEYHUB_ROOT"/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
  fi
}

ensure_build_tools() {
  ensure_rust_tools
  ensure_npm_packages "$KEYHUB_ROOT"
}

# The static Linux build: Rust's musl target, and musl-gcc for the C in mimalloc, SQLite and ring.
ensure_release_tools() {
  if ! rustup target list --installed | grep -qx x86_64-unknown-linux-musl; then
    say "Adding the x86_64-unknown-linux-musl target"
    rustup target add x86_64-unknown-linux-musl
  fi
  command -v musl-gcc >/dev/null || apt_install musl-tools
}

# The git revision `keyhub --version` names, marked when the tree has uncommitted changes.
git_revision() {
  local revision
  revision="$(git -C "$KEYHUB_ROOT" rev-parse --short=12 HEAD 2>/dev/null)" || { echo unknown; return; }
  git -C "$KEYHUB_ROOT" diff --quiet HEAD 2>/dev/null || revision="$revision-modified"
  echo "$revision"
}

# Builds keyhub with the built site (target/site) inside it; extra arguments go to cargo build.
# LEPTOS_OUTPUT_NAME is what cargo-leptos would set: the pages then link pkg/keyhub.js and .wasm.
# KeyHub and the fake provider, as `debug` or `release`.
build_server_and_fake_provider() {
  if [ "$1" = release ]; then
    cargo build --release --bin keyhub --example fake_provider
  else
    cargo build --bin keyhub --example fake_provider
  fi
}

build_standalone() {
  KEYHUB_GIT_REVISION="$(git_revision)" LEPTOS_OUTPUT_NAME=keyhub KEYHUB_SITE_DIR="$KEYHUB_ROOT/target/site" \
    cargo build --bin keyhub --no-default-features --features embedded-site "$@"
}

ensure_browser() {
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [ -x "$CHROMIUM_PATH" ] || apt_install chromium
  ensure_npm_packages "$KEYHUB_ROOT/end2end"
}

# PostgreSQL for the second backend's tests. Required when CI is set.
export KEYHUB_TEST_POSTGRES_URL="${KEYHUB_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
ensure_postgres() {
  if pg_isready -q -d "$KEYHUB_TEST_POSTGRES_URL" 2>/dev/null; then return; fi
  if ! command -v pg_ctlcluster >/dev/null; then
    if [ -z "${CI:-}" ]; then
      say "PostgreSQL is not installed: its tests will be skipped (CI requires them)"
      return
    fi
    apt_install postgresql
  fi
  say "Starting PostgreSQL"
  local version
  version="$(ls /etc/postgresql | sort -n | tail -1)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -d "$KEYHUB_TEST_POSTGRES_URL" 2>/dev/null && return
    sleep 1
  done
  if [ -n "${CI:-}" ]; then
    echo "PostgreSQL at $KEYHUB_TEST_POSTGRES_URL is unreachable and CI requires it" >&2
    exit 1
  fi
}
