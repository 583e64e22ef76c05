#!/usr/bin/env bash
# KeyHub under load and faults. Each scenario starts KeyHub on a fresh database, runs 200
# clients that mix reads, key changes, toggles, validations, resolves and gateway calls (some to
# keys the fake provider fails on purpose: dropped, stalled, garbage, too slow) through
# examples/stress, and checks that nothing acknowledged was lost or doubled, that every family had
# exactly one primary throughout, and that the database is sound. The faults: PostgreSQL restarted
# mid-load, KeyHub killed with SIGKILL mid-write and started again, SQLite's disk filled.
#   ./scripts/stress.sh [SCENARIO…]          the long form: release build, 60 s per scenario, a table
#   ./scripts/stress.sh --quick [SCENARIO…]  the bounded form the test command runs: debug, 12 s
# SCENARIO: load-sqlite, load-postgres, postgres-restart, kill-9, disk-full (all when none given).
# STRESS_SECONDS overrides each scenario's length.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$KEYHUB_ROOT"
profile=release seconds=60 clients=200
if [ "${1:-}" = --quick ]; then profile=debug seconds=12 && shift; fi
seconds="${STRESS_SECONDS:-$seconds}"
chosen=" ${*:-load-sqlite load-postgres postgres-restart kill-9 disk-full} "
ensure_postgres
command -v psql >/dev/null || apt_install postgresql-client
command -v curl >/dev/null || apt_install curl

say "Building KeyHub, the fake provider and the load client ($profile)"
build_server_and_fake_provider "$profile"
if [ "$profile" = release ]; then
  cargo build --release --example stress
else
  cargo build --example stress
fi
bin="target/$profile/keyhub"
stress="target/$profile/examples/stress"

dir="$(mktemp -d)"
report="$dir/report.jsonl"
fake_port=3440 port=3441
cleanup() {
  kill -9 $(jobs -p) $(cat "$dir/keyhub.pid" 2>/dev/null) 2>/dev/null || true
  wait 2>/dev/null || true
  if mountpoint -q "$dir/small"; then as_root umount "$dir/small"; fi
  psql -q "$KEYHUB_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS keyhub_stress WITH (FORCE)" \
    >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"target/$profile/examples/fake_provider" "$fake_port" >"$dir/fake.log" 2>&1 &
set -a
eval "$("target/$profile/examples/fake_provider" --settings "$fake_port")"
set +a
export KEYHUB_MASTER_KEY="$("$bin" gen-master-key | tail -1)" LEPTOS_SITE_ROOT=target/site \
  KEYHUB_GATEWAY_REQUESTS_PER_MINUTE=0 KEYHUB_GATEWAY_TIMEOUT_SECS=3 KEYHUB_GATEWAY_IDLE_SECS=2 \
  KEYHUB_REVALIDATE_HOURS=0 RUST_LOG=warn

postgres_version="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)"
postgres_cluster() { # start|stop
  as_root pg_ctlcluster --skip-systemctl-redirect "$postgres_version" main "$1" ${2:+-m "$2"}
}

# A fresh database: "sqlite" in $dir/data (or the folder given) or "postgres".
fresh_database() { # backend [folder]
  if [ "$1" = postgres ]; then
    psql -q "$KEYHUB_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS keyhub_stress WITH (FORCE)" >/dev/null
    psql -q "$KEYHUB_TEST_POSTGRES_URL" -c "CREATE DATABASE keyhub_stress" >/dev/null
    export KEYHUB_DATABASE_URL="${KEYHUB_TEST_POSTGRES_URL%/*}/keyhub_stress"
  else
    local folder="${2:-$dir/data}"
    rm -rf "${folder:?}"/* && mkdir -p "$folder"
    export KEYHUB_DATABASE_URL="sqlite://$folder/keyhub.db" KEYHUB_DATA_DIR="$folder"
  fi
  "$bin" migrate >/dev/null
  echo "a long stress password" | "$bin" create-admin --email admin@example.com --org acme >/dev/null 2>&1
  token="$("$bin" create-token --org acme --name stress --scopes keys:read,keys:write,keys:use,gateway | tail -1)"
}

start_keyhub() {
  LEPTOS_SITE_ADDR="127.0.0.1:$port" "$bin" serve >>"$dir/keyhub.log" 2>&1 &
  echo $! >"$dir/keyhub.pid"
  for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    sleep 0.1
  done
  echo "KeyHub did not start; its log:" >&2
  tail -20 "$dir/keyhub.log" >&2
  return 1
}

# Stops KeyHub and waits until it is gone (after a crash, it is not this shell's child).
stop_keyhub() {
  local pid
  pid="$(cat "$dir/keyhub.pid")"
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# The fault commands run by the load client (`bash -c`), so they are exported with what they use.
crash_keyhub() {
  kill -9 "$(cat "$dir/keyhub.pid")"
  sleep 1
  start_keyhub
}
fill_disk() { # folder
  dd if=/dev/zero of="$1/filler" bs=64k 2>/dev/null || true
  sleep 4
  rm -f "$1/filler"
}
restart_postgres() {
  postgres_cluster stop fast
  sleep 3
  postgres_cluster start
}
export -f start_keyhub crash_keyhub fill_disk restart_postgres postgres_cluster as_root
export dir port bin postgres_version

failed=0
scenario() { # name backend [fault-kind fault-command]
  local name="$1"
  say "Scenario: $name on $2 ($clients clients, $seconds s)"
  : >"$dir/keyhub.log"
  start_keyhub
  local fault=()
  [ -n "${3:-}" ] && fault=(--fault-kind "$3" --fault "$4" --fault-at "$((seconds / 3))")
  STRESS_TOKEN="$token" STRESS_DATABASE_URL="$KEYHUB_DATABASE_URL" "$stress" \
    --url "http://127.0.0.1:$port" --scenario "$name" --clients "$clients" \
    --seconds "$seconds" --report "$report" "${fault[@]}" || failed=1
  if grep -n "panicked" "$dir/keyhub.log"; then
    echo "FAILED: KeyHub panicked during $name" >&2
    failed=1
  fi
  cp "$dir/keyhub.log" "target/stress-$name.log"
  stop_keyhub
}

wanted() { [[ "$chosen" == *" $1 "* ]]; }
if wanted load-sqlite; then
  fresh_database sqlite
  scenario load-sqlite sqlite
fi
if wanted load-postgres; then
  fresh_database postgres
  scenario load-postgres postgres
fi
if wanted postgres-restart; then
  fresh_database postgres
  scenario postgres-restart postgres outage restart_postgres
fi
if wanted kill-9; then
  fresh_database sqlite
  scenario kill-9 sqlite crash crash_keyhub
fi
if wanted disk-full; then
  mkdir -p "$dir/small"
  as_root mount -t tmpfs -o size=48m tmpfs "$dir/small"
  fresh_database sqlite "$dir/small"
  scenario disk-full sqlite disk-full "fill_disk $dir/small"
  as_root umount "$dir/small"
fi

say "Summary ($(date -u +%F), $(nproc) cores; KeyHub, PostgreSQL, the fake provider and the clients share them)"
python3 - "$report" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
groups = {
    "reads": ["list keys", "read key", "resolve"],
    "writes": ["add key", "rename key", "enable/disable", "make primary", "change role",
               "delete key", "validate key"],
    "gateway": ["gateway call"],
}
def p99(r, ops):
    return max((op["p99_ms"] for op in r["ops"] if op["op"] in ops), default=0)
print("| scenario | database | operations | errors | lost writes | duplicated | primaries wrong "
      "| p99 reads / writes / gateway (ms) | fault survived |")
print("|---|---|---:|---:|---:|---:|---:|---|---|")
for r in rows:
    c = r["checks"]
    fault = r["fault"]
    survived = "—" if fault is None else (
        f"yes: {fault['forgiven']:,} answers explained by it, recovered {fault['recovered_after_s']:.1f} s after"
        if not fault.get("command_failed") else "no")
    latencies = " / ".join(f"{p99(r, ops):.0f}" for ops in groups.values())
    print(f"| {r['scenario']} | {r['backend']} | {r['operations']:,} | {r['errors']} | {len(c['lost'])} | "
          f"{len(c['duplicated'])} | {len(c['primary_violations'])} | {latencies} | {survived} |")
PY
exit "$failed"
