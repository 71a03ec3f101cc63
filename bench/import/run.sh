#!/usr/bin/env bash
# Import throughput: `recur events import` beside `psql \copy` of the same CSV into an identical table,
# in one run, on the same embedded PostgreSQL. Prints rows/s for both and their ratio (median of RUNS).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-2000000}
RUNS=${RUNS:-3}
DATA=bench/data
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/import-home"

swift build -c release --product recur >/dev/null
RECUR=.build/release/recur
CSV="$DATA/events-$ROWS.csv"
if [[ ! -s "$CSV" ]]; then
  "$RECUR" events generate --users $((ROWS / 50)) --events "$ROWS" --seed 7 --output "$CSV.tmp"
  # Exactly ROWS data rows, so both loaders see the same file.
  head -n $((ROWS + 1)) "$CSV.tmp" > "$CSV" && rm "$CSV.tmp"
fi

"$RECUR" db start >/dev/null
"$RECUR" db migrate >/dev/null
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -U postgres -d recur)
"${PSQL[@]}" -c "DROP TABLE IF EXISTS events_peer; CREATE TABLE events_peer (LIKE events INCLUDING ALL)"

now() { date +%s.%N; }
recur_rates=(); psql_rates=()
for run in $(seq 1 "$RUNS"); do
  "${PSQL[@]}" -c "TRUNCATE events, events_peer, rejected_events; CHECKPOINT"
  t0=$(now)
  "${PSQL[@]}" -c "\\copy events_peer (event_id, user_id, ts, event_type, amount, quantity, product_id, session_id, category, device) FROM '$CSV' WITH (FORMAT csv, HEADER true)"
  t1=$(now)
  "${PSQL[@]}" -c "CHECKPOINT"
  t2=$(now)
  "$RECUR" events import "$CSV" --quiet 2>/dev/null
  t3=$(now)
  loaded=$("${PSQL[@]}" -tAc "SELECT count(*) FROM events")
  peer=$("${PSQL[@]}" -tAc "SELECT count(*) FROM events_peer")
  [[ "$loaded" == "$ROWS" && "$peer" == "$ROWS" ]] || { echo "row counts differ: recur $loaded, psql $peer, expected $ROWS" >&2; exit 1; }
  p=$(echo "$ROWS / ($t1 - $t0)" | bc -l); r=$(echo "$ROWS / ($t3 - $t2)" | bc -l)
  psql_rates+=("$p"); recur_rates+=("$r")
  printf 'run %d: psql \\copy %8.0f rows/s   recur import %8.0f rows/s   ratio %.2f\n' "$run" "$p" "$r" "$(echo "$r / $p" | bc -l)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mp=$(median "${psql_rates[@]}"); mr=$(median "${recur_rates[@]}")
printf 'median of %d runs, %d rows: psql \\copy %.0f rows/s, recur import %.0f rows/s, ratio %.2f (target >= 0.70)\n' \
  "$RUNS" "$ROWS" "$mp" "$mr" "$(echo "$mr / $mp" | bc -l)"
