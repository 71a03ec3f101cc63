#!/usr/bin/env bash
# What `--log-sample 0.01` costs serving: two `recur serve` on one store (USERS generated users), one
# logging 1% of its answers (with their feature vectors) to served_log and one not, measured with
# redis-benchmark SCORE of random known users in alternating rounds (RUNS each), -P 1 and -P 16.
# Prints each round, the medians and ranges, and the ratio (target: logging keeps >= 95%).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/logsample-home"
export RECUR_MODELS_DIR="$PWD/$DATA/logsample-models"
USERS=${USERS:-20000}
REQUESTS=${REQUESTS:-200000}
RUNS=${RUNS:-5}
RATE=${RATE:-0.01}
{ command -v redis-benchmark >/dev/null; } || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
if [[ -z "${RECUR:-}" ]]; then swift build -c release --product recur >/dev/null; RECUR=.build/release/recur; fi
"$RECUR" db start >/dev/null
if [[ ! -d "$RECUR_MODELS_DIR/logistic" ]]; then
  "$RECUR" events generate --users "$USERS" --seed 5 --output "$DATA/logsample-events.csv" 2>/dev/null
  "$RECUR" events import "$DATA/logsample-events.csv" --quiet
  "$RECUR" features backfill --from 2025-10-26 --to 2025-11-30 --every 7d --quiet
  "$RECUR" train --version logistic --model logistic --cutoffs 2025-10-26,2025-11-02,2025-11-30 --horizon 30d --calibrate none >/dev/null
fi
USERS=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["users"])')
"$RECUR" models promote logistic --alias production >/dev/null
"$RECUR" serve --port 7881 --model production > "$DATA/serve-plain.log" 2>&1 &
PLAIN=$!
"$RECUR" serve --port 7882 --model production --log-sample "$RATE" --metrics-port 9182 > "$DATA/serve-logging.log" 2>&1 &
LOGGING=$!
trap 'kill $PLAIN $LOGGING 2>/dev/null || true' EXIT
for port in 7881 7882; do "$RECUR" score --port "$port" --wait 300s nobody >/dev/null; done
bench() { redis-benchmark -p "$1" -c 50 -n "$REQUESTS" -P "$2" -r "$USERS" --csv SCORE __rand_int__ 2>/dev/null | tail -n 1 | python3 -c 'import csv,sys; print(next(csv.reader([sys.stdin.read()]))[1])'; }
stats() { python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print(f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})")' "$@"; }
for port in 7881 7882; do bench "$port" 16 >/dev/null; done   # every span in place before timing
echo "users $USERS, $REQUESTS requests per round, 50 clients, $RUNS alternating rounds, logging $RATE of answers"
for depth in 1 16; do
  plain=(); logging=()
  for ((i = 0; i < RUNS; i++)); do
    if (( i % 2 == 0 )); then plain+=("$(bench 7881 "$depth")"); logging+=("$(bench 7882 "$depth")")
    else logging+=("$(bench 7882 "$depth")"); plain+=("$(bench 7881 "$depth")"); fi
  done
  p=$(python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "${plain[@]}")
  l=$(python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "${logging[@]}")
  printf -- '-P %-2s  without logging %s req/s   with --log-sample %s: %s req/s   ratio %.3f (target >= 0.95)\n' \
    "$depth" "$(stats "${plain[@]}")" "$RATE" "$(stats "${logging[@]}")" "$(echo "$l / $p" | bc -l)"
done
sleep 1
curl -s 127.0.0.1:9182/metrics | grep -E '^recur_served_log_(written|dropped)_total' || true
