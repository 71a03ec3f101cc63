#!/usr/bin/env bash
# Resident bytes per user of `recur serve` once loaded: starts each given binary (default: this
# checkout's release build) on the same store, waits until STATS says ready, reads VmRSS, stops it.
# Several binaries alternate RUNS times, so a before/after pair is measured side by side.
# The store defaults to the one bench/stream/run.sh leaves (183,701 users, schema bench_stream);
# set RECUR_HOME, RECUR_SCHEMA and RECUR_MODELS_DIR to measure another (a model must be promoted).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
PORT=${PORT:-7891}
export RECUR_HOME=${RECUR_HOME:-$PWD/bench/data/stream-home}
export RECUR_SCHEMA=${RECUR_SCHEMA:-bench_stream}
export RECUR_MODELS_DIR=${RECUR_MODELS_DIR:-$PWD/bench/data/stream-models}
command -v redis-cli >/dev/null || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
if (($# == 0)); then
  swift build -c release --product recur >/dev/null
  set -- .build/release/recur
fi
"$1" db start >/dev/null

measure() {
  local binary=$1 started pid stats users rss
  started=$(date +%s%N)
  "$binary" serve --port "$PORT" --model production > bench/data/memory-serve.log 2>&1 &
  pid=$!
  until stats=$(redis-cli -p "$PORT" STATS 2>/dev/null) && [[ "$stats" == *'"ready":true'* ]]; do
    kill -0 "$pid" 2>/dev/null || { cat bench/data/memory-serve.log; exit 1; }
    sleep 0.2
  done
  local ready=$((($(date +%s%N) - started) / 1000000))
  sleep 2   # the first catch-up after the load
  users=$(grep -o '"users":[0-9]*' <<< "$stats" | head -1 | cut -d: -f2)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-40s %10d users  ready %6d ms  RSS %7d MB  %5d bytes per user\n' "$binary" "$users" "$ready" "$((rss / 1024))" "$((rss * 1024 / users))"
}

for ((run = 1; run <= RUNS; run++)); do
  for binary in "$@"; do measure "$binary"; done
done
