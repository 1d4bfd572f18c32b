#!/usr/bin/env bash
# demo-check: the demo must bring up a dashboard whose API answers non-zero
# support AND criticism series within 60 seconds of starting, as a
# researcher's first `make demo` would.
#
# It runs `bin/reactions demo --reset` in a fresh state directory (so the
# local ClickHouse starts cold, as on a clean clone; with
# REACTIONS_CLICKHOUSE set, that server is used and only its reactions_demo
# database is reset), polls
#   GET /api/v1/series?story=demo-teigen-loss&interval=1h
# until the totals of support and criticism are both above zero, prints the
# seconds it took, and stops the demo (and the ClickHouse it started).
#
# Environment: BIN (default bin/reactions), DEMO_CHECK_LIMIT (seconds,
# default 60), DEMO_CHECK_PORT (default: a free port), KEEP_HOME=1 keeps the
# state directory for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${BIN:-bin/reactions}"
limit="${DEMO_CHECK_LIMIT:-60}"
[ -x "$bin" ] || { echo "demo-check: $bin is missing: run make build" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${DEMO_CHECK_PORT:-}"
if [ -z "$port" ]; then
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if port_free "$p"; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "demo-check: no free port found" >&2; exit 1; }
fi

home="$(mktemp -d "${TMPDIR:-/tmp}/reactions-demo-check.XXXXXX")"
log="$home/demo.log"
url="http://127.0.0.1:$port/api/v1/series?story=demo-teigen-loss&interval=1h"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ -d "$home/clickhouse" ]; then
    go run ./scripts/stopch "$home/clickhouse" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP_HOME:-}" = 1 ]; then
    echo "demo-check: state kept in $home"
  else
    rm -rf "$home"
  fi
}
trap cleanup EXIT

# totals prints "support criticism" from a series answer (compact or
# indented JSON; the totals object starts with support and criticism).
totals() {
  tr -d ' \n\t' | sed -n 's/.*"totals":{"support":\([0-9]*\),"criticism":\([0-9]*\).*/\1 \2/p'
}

start=$(date +%s.%N)
REACTIONS_HOME="$home" "$bin" demo --reset --listen "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
echo "demo-check: started bin/reactions demo (pid $pid) on port $port; waiting up to ${limit}s for support and criticism"

while :; do
  now=$(date +%s.%N)
  elapsed=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "demo-check: FAIL: the demo exited after ${elapsed}s:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if body=$(curl -fsS --max-time 5 "$url" 2>/dev/null); then
    read -r sup crit <<<"$(printf '%s' "$body" | totals)" || true
    if [ "${sup:-0}" -gt 0 ] && [ "${crit:-0}" -gt 0 ]; then
      echo "demo-check: OK in ${elapsed}s: support ${sup}, criticism ${crit} (${url})"
      grep -E '^(Stored / ground truth|  [0-9]+ reactions compared)' "$log" || true
      exit 0
    fi
  fi
  if awk -v e="$elapsed" -v l="$limit" 'BEGIN { exit !(e >= l) }'; then
    echo "demo-check: FAIL: no support and criticism after ${limit}s (last: support ${sup:-none}, criticism ${crit:-none})" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
