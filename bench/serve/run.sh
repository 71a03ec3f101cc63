#!/usr/bin/env bash
# Serving beside Redis: redis-benchmark -c 50 against `recur serve` (SCORE of random known users) and
# against redis-server (GET of a stored key), pipelined 1 and 16; logistic, then GBDT after a hot swap.
# HTTP beside FastAPI: wrk -c 50 against Recur's HTTP API (GET /v1/score/{user}) and against a minimal
# FastAPI app under uvicorn (2 workers, uvloop + httptools) returning a stored score, same users: its
# async handler is the peer, its plain-def handler (run in a thread pool) is shown beside it.
# Bounds: PING against PING at -P 16 and Recur's GET /healthz show what the transport alone reaches
# here, with no lookup and no model.
# Each figure is the median (and range) of RUNS rounds (default 5); Recur and Redis alternate within
# each round so that both see the same machine. bench/serve/instructions.sh gives the count that does
# not move with the machine's load: instructions per request under callgrind. THREADS sets Recur's event loops (default: the server's, one per core but one); RECUR measures another
# build (e.g. a saved baseline).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=bench/data
export RECUR_HOME="$PWD/$DATA/features-home"
export RECUR_MODELS_DIR="$PWD/$DATA/serve-models"
REQUESTS=${REQUESTS:-200000}
RUNS=${RUNS:-5}
RECUR_PORT=${RECUR_PORT:-7878}
REDIS_PORT=${REDIS_PORT:-6390}
THREADS=${THREADS:-}
{ command -v redis-benchmark && command -v redis-server; } >/dev/null || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
if [[ -z "${RECUR:-}" ]]; then swift build -c release --product recur >/dev/null; RECUR=.build/release/recur; fi

"$RECUR" db start >/dev/null
if ! "$RECUR" features describe --as-of 2025-11-30 >/dev/null 2>&1; then bench/features/run.sh; fi
USERS=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["users"])')
if [[ ! -d "$RECUR_MODELS_DIR/logistic" ]]; then
  "$RECUR" train --version logistic --model logistic --cutoffs 2025-10-26,2025-11-02,2025-11-30 --horizon 30d --calibrate none >/dev/null
  "$RECUR" train --version gbdt --model gbdt --cutoffs 2025-10-26,2025-11-02,2025-11-30 --horizon 30d --calibrate none >/dev/null
fi
"$RECUR" models promote logistic --alias production >/dev/null

redis-server --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes --logfile "$PWD/$DATA/redis.log" --dir "$PWD/$DATA"
HTTP_PORT=${HTTP_PORT:-8088}
FASTAPI_PORT=${FASTAPI_PORT:-8089}
HTTP_SECONDS=${HTTP_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench: installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
[[ -x bench/.venv-serve/bin/uvicorn ]] || { python3 -m venv bench/.venv-serve && bench/.venv-serve/bin/pip install -q -r bench/serve/requirements.txt; }
BENCH_USERS=$USERS bench/.venv-serve/bin/uvicorn --app-dir bench/serve fastapi_app:app --port "$FASTAPI_PORT" --workers 2 --no-access-log --log-level warning &
FASTAPI=$!
"$RECUR" serve --port "$RECUR_PORT" --http-port "$HTTP_PORT" --model production ${THREADS:+--threads "$THREADS"} > "$DATA/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER $FASTAPI 2>/dev/null || true; redis-cli -p '"$REDIS_PORT"' shutdown nosave >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do redis-cli -p "$RECUR_PORT" PING >/dev/null 2>&1 && break; sleep 0.2; done
# The server listens at once and answers LOADING until every user's features are in memory.
"$RECUR" score --port "$RECUR_PORT" --wait 300s nobody >/dev/null
redis-cli -p "$REDIS_PORT" SET key:42 "0.231045 v3" >/dev/null
# For context beside the hot key: one stored value per user id, as __rand_int__ writes them.
redis-benchmark -p "$REDIS_PORT" -t set -n $((USERS * 12)) -r "$USERS" -P 64 -d 16 -q >/dev/null 2>&1
for _ in $(seq 1 100); do curl -sf "127.0.0.1:$FASTAPI_PORT/v1/score/000000000001" >/dev/null 2>&1 && break; sleep 0.2; done

# redis-benchmark's __rand_int__ is a 12-digit number below -r: the generated user ids have that form.
bench() { redis-benchmark -p "$1" -c 50 -n "$REQUESTS" -P "$2" -r "$USERS" --csv "${@:3}" 2>/dev/null | tail -n 1; }
# requests/s and p99 (ms) from redis-benchmark's CSV line
fields() { python3 -c 'import csv,sys; r=next(csv.reader([sys.stdin.read()])); print(r[1], r[6])'; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
# "min–max" of the runs, for beside a median
range_of() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(f"{min(v):.0f}–{max(v):.0f}")' "$@"; }
declare -A P1   # TCP -P 1 requests/s per model, for HTTP / TCP
report() {
  local label=$1 depth=$2 i
  local -a rq rp dq dp
  for ((i = 0; i < RUNS; i++)); do
    read -r a b < <(bench "$RECUR_PORT" "$depth" SCORE __rand_int__ | fields); rq+=("$a"); rp+=("$b")
    read -r a b < <(bench "$REDIS_PORT" "$depth" GET key:42 | fields); dq+=("$a"); dp+=("$b")
  done
  local q p rq_m dq_m
  rq_m=$(median "${rq[@]}"); dq_m=$(median "${dq[@]}")
  [[ $depth != 1 ]] || P1[$label]=$rq_m
  printf '%-9s -P %-2s  recur %9.0f req/s (%s) p99 %6.3f ms   redis %9.0f req/s (%s) p99 %6.3f ms   ratio %.2f\n' \
    "$label" "$depth" "$rq_m" "$(range_of "${rq[@]}")" "$(median "${rp[@]}")" "$dq_m" "$(range_of "${dq[@]}")" "$(median "${dp[@]}")" \
    "$(echo "$rq_m / $dq_m" | bc -l)"
}
echo "$(date -u +%F): users: $USERS, requests per run: $REQUESTS, 50 clients, median (min–max) of $RUNS rounds, Recur and Redis alternating in each"
echo "recur event loops: ${THREADS:-default (one per core but one, here $(( $(nproc) > 1 ? $(nproc) - 1 : 1 )))}; $(grep -o 'threads=[0-9]*' "$DATA/serve.log" | head -1 || true)"
# One untimed pass so that every user's feature span is in place before timing.
bench "$RECUR_PORT" 16 SCORE __rand_int__ >/dev/null
report logistic 1
report logistic 16
"$RECUR" models promote gbdt --alias production >/dev/null
sleep 2
redis-cli -p "$RECUR_PORT" MODELS | head -1
# The swap makes every remembered score stale: one untimed pass again, as before the logistic runs.
bench "$RECUR_PORT" 16 SCORE __rand_int__ >/dev/null
report gbdt 1
report gbdt 16
# The transport alone: PING (no lookup, no model) against Redis's PING, pipelined 16; and, for
# context, Redis's GET of a random one of the users' keys instead of one hot key.
ping_report() {
  local i
  local -a rq dq gq
  for ((i = 0; i < RUNS; i++)); do
    rq+=("$(redis-benchmark -p "$RECUR_PORT" -c 50 -n "$REQUESTS" -P 16 -t ping_mbulk --csv 2>/dev/null | tail -n 1 | fields | cut -d' ' -f1)")
    dq+=("$(redis-benchmark -p "$REDIS_PORT" -c 50 -n "$REQUESTS" -P 16 -t ping_mbulk --csv 2>/dev/null | tail -n 1 | fields | cut -d' ' -f1)")
    gq+=("$(bench "$REDIS_PORT" 16 GET key:__rand_int__ | fields | cut -d' ' -f1)")
  done
  local r d
  r=$(median "${rq[@]}"); d=$(median "${dq[@]}")
  printf '%-9s -P 16  recur %9.0f req/s (%s)   redis %9.0f req/s (%s)   ratio %.2f\n' PING "$r" "$(range_of "${rq[@]}")" "$d" "$(range_of "${dq[@]}")" "$(echo "$r / $d" | bc -l)"
  printf '%-9s -P 16  redis GET of a random user'"'"'s key %9.0f req/s   (runs: %s)\n' context "$(median "${gq[@]}")" "${gq[*]}"
}
ping_report

# HTTP: requests/s from wrk, Recur and FastAPI alternating within each run.
# wrk_rate PORT [PREFIX]: random users' scores; PREFIX=/sync asks FastAPI's plain-def handler.
wrk_rate() { BENCH_PREFIX=${2:-} BENCH_USERS=$USERS wrk -t 2 -c 50 -d "${HTTP_SECONDS}s" --latency -s bench/serve/score.lua "http://127.0.0.1:$1" 2>&1 | awk '/Requests\/sec/ {print $2}'; }
http_report() {
  local label=$1 i
  local -a rq fq sq
  for ((i = 0; i < RUNS; i++)); do
    rq+=("$(wrk_rate "$HTTP_PORT")"); fq+=("$(wrk_rate "$FASTAPI_PORT")"); sq+=("$(wrk_rate "$FASTAPI_PORT" /sync)")
  done
  local r f s
  r=$(median "${rq[@]}"); f=$(median "${fq[@]}"); s=$(median "${sq[@]}")
  printf '%-9s HTTP   recur %9.0f req/s   fastapi async %8.0f req/s (ratio %.1f)   fastapi def %8.0f req/s (ratio %.1f)   recur HTTP / TCP -P 1 %.2f\n' \
    "$label" "$r" "$f" "$(echo "$r / $f" | bc -l)" "$s" "$(echo "$r / $s" | bc -l)" "$(echo "$r / ${P1[$label]}" | bc -l)"
  printf '          (recur runs: %s; fastapi async runs: %s; fastapi def runs: %s)\n' "${rq[*]}" "${fq[*]}" "${sq[*]}"
}
curl -sf "127.0.0.1:$HTTP_PORT/readyz" >/dev/null || { echo "bench: recur's HTTP API is not answering" >&2; exit 1; }
http_report gbdt
"$RECUR" models promote logistic --alias production >/dev/null
sleep 2
http_report logistic
# The HTTP transport alone: GET /healthz (no lookup, no model).
hq=()
for ((i = 0; i < RUNS; i++)); do hq+=("$(wrk -t 2 -c 50 -d "${HTTP_SECONDS}s" "http://127.0.0.1:$HTTP_PORT/healthz" 2>&1 | awk '/Requests\/sec/ {print $2}')"); done
printf '%-9s HTTP   recur %9.0f req/s   (runs: %s)\n' healthz "$(median "${hq[@]}")" "${hq[*]}"
