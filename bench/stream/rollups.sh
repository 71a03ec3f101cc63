#!/usr/bin/env bash
# What the rollups cost the stream: RUNS rounds, each draining the same EVENTS through `recur stream`
# twice, once with the built-in rollups and sessions kept and once with them dropped (the order
# alternates between rounds), beside `psql \copy` of the same events into a table like `events`, all
# on one embedded PostgreSQL. Prints each run, then medians and ranges, and checks that the kept
# tables equal a recount of the events (`recur rollups check`).
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${EVENTS:-2000000}
USERS=${USERS:-200000}
RUNS=${RUNS:-3}
DATA=bench/data
BUILD=${BUILD_PATH:-.build}
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/stream-home"
swift build -c release --build-path "$BUILD" --product recur >/dev/null
RECUR=$PWD/$BUILD/release/recur
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT
source bench/stream/mock.sh
"$RECUR" db start >/dev/null
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -U postgres -d recur)
CSV="$DATA/stream-$USERS-$EVENTS.csv"
[[ -s "$CSV" ]] || "$RECUR" events generate --users "$USERS" --events "$EVENTS" --seed 11 --output "$CSV"
ROWS=$(($(wc -l < "$CSV") - 1))
PARTITIONS=$(( ROWS / 80000 > 6 ? ROWS / 80000 : 6 ))
BUILTIN="rollup_events_1m rollup_funnel_1h rollup_product_1d rollup_user_5m sessions"
echo "$ROWS events of $USERS users, $PARTITIONS partitions, $RUNS rounds; $(nproc) cores"
declare -a on off copy
for round in $(seq 1 "$RUNS"); do
  modes="on off"; (( round % 2 == 0 )) && modes="off on"
  for mode in $modes; do
    export RECUR_SCHEMA="bench_rollups_$mode"
    "${PSQL[@]}" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $RECUR_SCHEMA CASCADE"
    "$RECUR" db migrate >/dev/null
    "$RECUR" rollups list >/dev/null 2>&1          # registers the built-in ones on the empty store
    [[ $mode == off ]] && "$RECUR" rollups drop $BUILTIN 2>/dev/null
    "${PSQL[@]}" -c "CHECKPOINT"
    topic="r$round$mode"
    mock "$topic" "$PARTITIONS"
    "$RECUR" events produce --brokers "$BROKERS" --topic "$topic" --users "$USERS" --events "$EVENTS" --seed 11 --quiet 2>/dev/null
    "$RECUR" stream --brokers "$BROKERS" --topic "$topic" --exit-when-idle 5s --quiet 2> "$DATA/rollups-$mode.txt" \
      || { cat "$DATA/rollups-$mode.txt"; exit 1; }
    cleanup
    rate=$(sed -nE 's/.* ([0-9]+) events\/s over .*/\1/p' "$DATA/rollups-$mode.txt")
    stored=$("${PSQL[@]}" -tAc "SELECT count(*) FROM $RECUR_SCHEMA.events")
    [[ $stored == "$ROWS" ]] || { echo "not a valid run: $stored of $ROWS events stored"; exit 1; }
    printf 'round %d, rollups %-3s: %s events/s\n' "$round" "$mode" "$rate"
    if [[ $mode == on ]]; then on+=("$rate"); else off+=("$rate"); fi
  done
  "${PSQL[@]}" -c "DROP TABLE IF EXISTS bench_rollups_on.events_peer; CREATE TABLE bench_rollups_on.events_peer (LIKE bench_rollups_on.events INCLUDING ALL); CHECKPOINT"
  t0=$(date +%s.%N)
  "${PSQL[@]}" -c "\\copy bench_rollups_on.events_peer (event_id, user_id, ts, event_type, amount, quantity, product_id, session_id, category, device) FROM '$CSV' WITH (FORMAT csv, HEADER true)"
  t1=$(date +%s.%N)
  c=$(echo "$ROWS / ($t1 - $t0)" | bc -l | cut -d. -f1)
  printf 'round %d, psql \\copy:    %s rows/s\n' "$round" "$c"
  copy+=("$c")
  "${PSQL[@]}" -c "DROP TABLE bench_rollups_on.events_peer"
done
RECUR_SCHEMA=bench_rollups_on "$RECUR" rollups check
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "–" hi}'; }
m_on=$(median "${on[@]}"); m_off=$(median "${off[@]}"); m_copy=$(median "${copy[@]}")
printf 'medians of %d: rollups on %s events/s (%s), off %s (%s), psql \\copy %s rows/s (%s)\n' "$RUNS" "$m_on" "$(range "${on[@]}")" "$m_off" "$(range "${off[@]}")" "$m_copy" "$(range "${copy[@]}")"
printf 'rollups keep %.1f%% of the stream rate (target >= 90%%); on/copy %.2f, off/copy %.2f\n' \
  "$(echo "100 * $m_on / $m_off" | bc -l)" "$(echo "$m_on / $m_copy" | bc -l)" "$(echo "$m_off / $m_copy" | bc -l)"
