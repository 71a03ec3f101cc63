#!/usr/bin/env bash
# Instructions per request, a count that does not move with the machine's load: `recur serve` and
# redis-server each run under `valgrind --tool=callgrind` with collection off until they are ready;
# collection is switched on for exactly one redis-benchmark run (-c 50, -n REQUESTS, -P DEPTH), then
# off, and the server's total instructions (every thread) divided by the requests is printed:
#   PING            recur beside redis
#   SCORE / GET     recur SCORE of a random known user (logistic, then GBDT) beside redis GET of a
#                   random one of as many keys
#
#   ONLY=ping bench/serve/instructions.sh  PING alone
#   bench/serve/instructions.sh            (store: RECUR_HOME / RECUR_SCHEMA, a model aliased production
#                                          and the versions LOGISTIC and GBDT; default: a small store
#                                          of its own, made on first use)
set -euo pipefail
cd "$(dirname "$0")/../.."
REQUESTS=${REQUESTS:-100000}
DEPTHS=${DEPTHS:-"1 16"}
PORT=${PORT:-7881}
REDIS_PORT=${REDIS_PORT:-6391}
DATA=bench/data/instructions
mkdir -p "$DATA"
command -v valgrind >/dev/null || { echo "bench: installing valgrind" >&2; apt-get install -y -qq valgrind >/dev/null; }
{ command -v redis-benchmark && command -v redis-server; } >/dev/null || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
if [[ -z "${RECUR:-}" ]]; then swift build -c release --product recur >/dev/null; RECUR=.build/release/recur; fi
# Valgrind 3.19 gives up on the debug information Swift 6.3 writes ("possibly corrupted debuginfo
# file"): it runs a copy without it (symbols stay; the counts are the same code's).
objcopy --strip-debug "$(realpath "$RECUR")" "$DATA/recur-nodebug"
RECUR=$PWD/$DATA/recur-nodebug
LOGISTIC=${LOGISTIC:-logistic}
GBDT=${GBDT:-gbdt}
if [[ -z "${RECUR_HOME:-}" ]]; then
  # A store of its own: 20,000 generated users, a year of events, two models.
  export RECUR_HOME="$PWD/$DATA/home" RECUR_MODELS_DIR="$PWD/$DATA/models"
  "$RECUR" db start >/dev/null
  if ! "$RECUR" models list 2>/dev/null | grep -q "$GBDT"; then
    "$RECUR" events generate --users 20000 --seed 12 --start 2025-01-01 --days 365 --output "$DATA/events.csv" 2>/dev/null
    "$RECUR" events import "$DATA/events.csv" --quiet
    "$RECUR" features backfill --from 2025-10-26 --to 2025-11-30 --every 7d --quiet
    "$RECUR" train --version "$LOGISTIC" --model logistic --from 2025-10-26 --to 2025-11-30 --every 7d --horizon 30d --calibrate none >/dev/null
    "$RECUR" train --version "$GBDT" --model gbdt --from 2025-10-26 --to 2025-11-30 --every 7d --horizon 30d --calibrate none >/dev/null
  fi
fi
"$RECUR" db start >/dev/null
USERS=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["users"])')

# total instructions (Ir) in a callgrind output file, all threads
total() { awk '/^totals:/ {t += $2} END {print t + 0}' "$1"; }
# run PORT DEPTH ARGS…: one redis-benchmark run, its requests/s printed to stderr for context
load() { redis-benchmark -p "$1" -c 50 -n "$REQUESTS" -P "$2" -r "$USERS" --csv "${@:3}" 2>/dev/null | tail -n 1 >/dev/null; }

# measure LABEL MODEL DEPTH ARGS…: recur serve under callgrind, one loop, collection around one run
measure_recur() {
  local model=$1 depth=$2 out="$DATA/recur.callgrind" pid
  rm -f "$out"*
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$RECUR" serve --port "$PORT" --model "$model" --threads 1 > "$DATA/recur-serve.log" 2>&1 &
  pid=$!
  "$RECUR" score --port "$PORT" --wait 900s nobody >/dev/null
  load "$PORT" 16 "${@:3}"   # untimed: every user's span in place, as in run.sh
  callgrind_control -i on "$pid" >/dev/null 2>&1
  load "$PORT" "$depth" "${@:3}"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(total "$out") / $REQUESTS" | bc
}

measure_redis() {
  local depth=$1 out="$DATA/redis.callgrind" pid
  rm -f "$out"*
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    redis-server --port "$REDIS_PORT" --save "" --appendonly no > "$DATA/redis.log" 2>&1 &
  pid=$!
  until redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1; do sleep 0.2; done
  # One stored value per user id, as __rand_int__ writes them (key:000000000042), as run.sh does.
  redis-benchmark -p "$REDIS_PORT" -t set -n $((USERS * 12)) -r "$USERS" -P 64 -d 16 -q >/dev/null 2>&1
  load "$REDIS_PORT" 16 "${@:2}"
  callgrind_control -i on "$pid" >/dev/null 2>&1
  load "$REDIS_PORT" "$depth" "${@:2}"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  echo "$(total "$out") / $REQUESTS" | bc
}

echo "instructions per request under callgrind: $USERS users, $REQUESTS requests, redis-benchmark -c 50, recur with one event loop ($(date -u +%F))"
printf '%-34s %8s %12s %12s %8s\n' request depth recur redis ratio
for depth in $DEPTHS; do
  r=$(measure_recur "$LOGISTIC" "$depth" -t ping_mbulk); d=$(measure_redis "$depth" -t ping_mbulk)
  printf '%-34s %8s %12d %12d %8.2f\n' "PING / PING" "-P $depth" "$r" "$d" "$(echo "$r / $d" | bc -l)"
  [[ "${ONLY:-}" == "ping" ]] && continue
  g=$(measure_redis "$depth" GET key:__rand_int__)
  for model in "$LOGISTIC" "$GBDT"; do
    r=$(measure_recur "$model" "$depth" SCORE __rand_int__)
    printf '%-34s %8s %12d %12d %8.2f\n' "SCORE ($model) / GET random key" "-P $depth" "$r" "$g" "$(echo "$r / $g" | bc -l)"
  done
done
