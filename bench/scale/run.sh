#!/usr/bin/env bash
# Ten million users on one machine (not part of CI; about 40 minutes here, most of it the import and
# the backfill): generate, import, backfill, train, each with its peak RSS; then `recur serve`'s
# start-up time and resident bytes per user, and redis-benchmark -c 50 -P 16 against it beside a
# redis-server holding ten million keys (DEBUG POPULATE), with that Redis's RSS, in the same run.
# Stages already done are kept (bench/data/scale-*); STAGES=serve reruns the serving part only.
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${USERS:-10000000}
EVENTS=${EVENTS:-30000000}
REQUESTS=${REQUESTS:-2000000}
RUNS=${RUNS:-3}
STAGES=${STAGES:-all}
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/scale-home"
export RECUR_MODELS_DIR="$PWD/$DATA/scale-models"
RECUR_PORT=${RECUR_PORT:-7880}
REDIS_PORT=${REDIS_PORT:-6391}
{ command -v redis-benchmark && command -v redis-server; } >/dev/null || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
swift build -c release --product recur >/dev/null
RECUR=.build/release/recur
CSV="$DATA/scale-events-$USERS-$EVENTS.csv"
LOG="$DATA/scale-log.txt"

# Runs a command under /usr/bin/time and prints its wall time and peak RSS.
measured() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$DATA/scale-time.txt" "$@"
  read -r wall peak < "$DATA/scale-time.txt"
  printf '%-10s %8.1f s   peak RSS %6d MB\n' "$label" "$wall" "$((peak / 1024))" | tee -a "$LOG"
}

"$RECUR" db start >/dev/null
if [[ "$STAGES" == all ]]; then
  : >> "$LOG"
  [[ -s "$CSV" ]] || measured generate "$RECUR" events generate --users "$USERS" --events "$EVENTS" --seed 13 --start 2025-01-01 --days 365 --output "$CSV"
  loaded=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
  [[ "$loaded" -ge $((EVENTS * 9 / 10)) ]] || measured import "$RECUR" events import "$CSV" --quiet
  if [[ ! -e "$DATA/scale-backfill.done" ]]; then
    measured backfill "$RECUR" features backfill --as-of 2025-11-02 --as-of 2025-11-30 --quiet
    touch "$DATA/scale-backfill.done"
  fi
  [[ -d "$RECUR_MODELS_DIR/logistic" ]] || measured train "$RECUR" train --version logistic --model logistic --cutoffs 2025-11-02,2025-11-30 --horizon 30d --calibrate none
  "$RECUR" models promote logistic --alias production >/dev/null
fi
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')
psql -X -h "$SOCKET" -U postgres -d recur -tAc "SELECT 'user_features: ' || count(*) || ' users, ' || pg_size_pretty(sum(octet_length(state))) || ' of states, table ' || pg_size_pretty(pg_total_relation_size('user_features')) FROM user_features" | tee -a "$LOG"

# Start-up: from launch until STATS says ready; then RSS per user.
started=$(date +%s.%N)
"$RECUR" serve --port "$RECUR_PORT" --model production > "$DATA/scale-serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; redis-cli -p '"$REDIS_PORT"' shutdown nosave >/dev/null 2>&1 || true' EXIT
"$RECUR" score --port "$RECUR_PORT" --wait 600s nobody >/dev/null 2>&1 || { sleep 1; "$RECUR" score --port "$RECUR_PORT" --wait 600s nobody >/dev/null; }
ready=$(echo "$(date +%s.%N) - $started" | bc)
sleep 2
rss=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
served=$(redis-cli -p "$RECUR_PORT" STATS | python3 -c 'import json,sys; print(json.load(sys.stdin)["users"])')
printf 'serve: %d users ready in %.1f s, RSS %d MB, %d bytes per user\n' "$served" "$ready" "$((rss / 1024))" "$((rss * 1024 / served))" | tee -a "$LOG"

# Redis holding as many keys, for its RSS and its speed beside Recur's.
redis-server --port "$REDIS_PORT" --save "" --appendonly no --enable-debug-command yes --daemonize yes --logfile "$PWD/$DATA/scale-redis.log" --dir "$PWD/$DATA"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" DEBUG POPULATE "$USERS" key 10 >/dev/null
redis_rss=$(redis-cli -p "$REDIS_PORT" INFO memory | awk -F: '/^used_memory_rss:/ {print $2}' | tr -d '\r')
printf 'redis: %s keys, RSS %d MB, %d bytes per key\n' "$(redis-cli -p "$REDIS_PORT" DBSIZE)" "$((redis_rss / 1048576))" "$((redis_rss / USERS))" | tee -a "$LOG"

# __rand_int__ is a 12-digit number below -r: the generated user ids have that form; DEBUG POPULATE's keys are key:N.
bench() { redis-benchmark -p "$1" -c 50 -n "$REQUESTS" -P 16 -r "$USERS" --csv "${@:2}" 2>/dev/null | tail -n 1 | python3 -c 'import csv,sys; print(next(csv.reader([sys.stdin.read()]))[1])'; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
bench "$RECUR_PORT" SCORE __rand_int__ >/dev/null
declare -a rq dq
for ((i = 0; i < RUNS; i++)); do rq+=("$(bench "$RECUR_PORT" SCORE __rand_int__)"); dq+=("$(bench "$REDIS_PORT" GET key:__rand_int__)"); done
printf 'redis-benchmark -c 50 -P 16, median of %d: recur SCORE %.0f req/s, redis GET %.0f req/s, ratio %.2f (recur runs: %s; redis runs: %s)\n' \
  "$RUNS" "$(median "${rq[@]}")" "$(median "${dq[@]}")" "$(echo "$(median "${rq[@]}") / $(median "${dq[@]}")" | bc -l)" "${rq[*]}" "${dq[*]}" | tee -a "$LOG"
