#!/usr/bin/env bash
# Streaming builder, release build, in one run on one machine:
#  1. throughput: EVENTS generated events of USERS users, published by `recur events produce` into
#     `recur kafka mock`, drained by `recur stream` into PostgreSQL, beside `psql \copy` of the same
#     events (as CSV) into an identical table on the same cluster; the producer's messages/s, the
#     builder's sustained events/s, commit p50/p99 and peak RSS;
#  2. freshness: a producer at a steady RATE events/s, `recur stream` and `recur serve` running, and
#     `recur-bench freshness` timing single probe events from produce to visible in FEATURES.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${EVENTS:-10000000}
USERS=${USERS:-200000}
RATE=${RATE:-20000}
PROBES=${PROBES:-300}
DATA=bench/data
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/stream-home"
export RECUR_MODELS_DIR="$PWD/$DATA/stream-models"
swift build -c release --product recur >/dev/null
swift build -c release --product recur-bench >/dev/null
RECUR=$PWD/.build/release/recur
BENCH=$PWD/.build/release/recur-bench
now() { date +%s.%N; }
pids=()
# Stops what this run started and waits for it, so a next run finds the ports and files free.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
source bench/stream/mock.sh

"$RECUR" db start >/dev/null
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -U postgres -d recur)

# PHASES=freshness skips the throughput phase (and PHASES=throughput the other).
PHASES=${PHASES:-throughput,freshness}
if [[ $PHASES == *throughput* ]]; then
echo "== 1. throughput: $EVENTS events of $USERS users"
export RECUR_SCHEMA=bench_stream
"${PSQL[@]}" -q -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench_stream CASCADE"
"$RECUR" db migrate >/dev/null
CSV="$DATA/stream-$USERS-$EVENTS.csv"
[[ -s "$CSV" ]] || "$RECUR" events generate --users "$USERS" --events "$EVENTS" --seed 11 --output "$CSV"
ROWS=$(($(wc -l < "$CSV") - 1))
# librdkafka's mock keeps only about 5 MiB (~125k of these messages) per partition and silently drops
# older data, so the topic gets enough partitions to hold every event until the builder reads it
# (counted from the rows generated: the generator gives every user some history, so there can be more
# than EVENTS).
PARTITIONS=${PARTITIONS:-$(( ROWS / 80000 > 6 ? ROWS / 80000 : 6 ))}
"${PSQL[@]}" -c "CREATE TABLE bench_stream.events_peer (LIKE bench_stream.events INCLUDING ALL); CHECKPOINT"
t0=$(now)
"${PSQL[@]}" -c "\\copy bench_stream.events_peer (event_id, user_id, ts, event_type, amount, quantity, product_id, session_id, category, device) FROM '$CSV' WITH (FORMAT csv, HEADER true)"
t1=$(now)
copy_rate=$(echo "$ROWS / ($t1 - $t0)" | bc -l)
printf 'psql \\copy: %d rows in %.1f s, %.0f rows/s\n' "$ROWS" "$(echo "$t1 - $t0" | bc -l)" "$copy_rate"
"${PSQL[@]}" -c "CHECKPOINT"

mock bench "$PARTITIONS"
echo "topic bench: $PARTITIONS partitions"
"$RECUR" events produce --brokers "$BROKERS" --topic bench --users "$USERS" --events "$EVENTS" --seed 11 --quiet 2>&1 | tee "$DATA/stream-produce.txt"
/usr/bin/time -v "$RECUR" stream --brokers "$BROKERS" --topic bench --exit-when-idle 5s --quiet ${STREAM_FLAGS:-} 2> "$DATA/stream-throughput.txt" \
  || { cat "$DATA/stream-throughput.txt"; exit 1; }
grep -a -E '^stream: stopped' "$DATA/stream-throughput.txt"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/stream-throughput.txt")
stream_rate=$(sed -nE 's/.* ([0-9]+) events\/s over .*/\1/p' "$DATA/stream-throughput.txt")
loaded=$("${PSQL[@]}" -tAc "SELECT count(*) FROM bench_stream.events")
peer=$("${PSQL[@]}" -tAc "SELECT count(*) FROM bench_stream.events_peer")
missing=$("${PSQL[@]}" -tAc "SELECT count(*) FROM bench_stream.events_peer p WHERE NOT EXISTS (SELECT 1 FROM bench_stream.events e WHERE e.event_id = p.event_id)")
echo "events: stream stored $loaded, psql stored $peer, peer events missing from the stream: $missing"
[[ $missing == 0 ]] || { echo "not a valid run: the stream lacks $missing of the events (did the mock drop data? see PARTITIONS)"; exit 1; }
printf 'recur stream %.0f events/s vs psql \\copy %.0f rows/s: ratio %.2f (target >= 0.70, and > 80000 events/s); peak RSS %.0f MB (target <= 1024)\n' \
  "$stream_rate" "$copy_rate" "$(echo "$stream_rate / $copy_rate" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)"
"${PSQL[@]}" -c "DROP TABLE bench_stream.events_peer"
cleanup; pids=()
fi

[[ $PHASES == *freshness* ]] || exit 0

echo "== 2. freshness at a steady $RATE events/s"
export RECUR_SCHEMA=bench_fresh
"${PSQL[@]}" -q -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bench_fresh CASCADE"
"$RECUR" db migrate >/dev/null
# A small history to train the served model on; the stream then adds to it, with events that come
# after the history (2026), so none of them is later than the allowed lateness.
"$RECUR" events generate --users 5000 --seed 3 --output "$DATA/fresh-history.csv"
"$RECUR" events import "$DATA/fresh-history.csv" --quiet
"$RECUR" features backfill --from 2025-09-07 --to 2025-12-28 --every 7d --quiet
rm -rf "$RECUR_MODELS_DIR"
"$RECUR" train --version fresh --model logistic --cutoffs 2025-10-26,2025-11-30 --horizon 30d --calibrate none >/dev/null
"$RECUR" models promote fresh --alias production >/dev/null
mock fresh 6
"$RECUR" stream --brokers "$BROKERS" --topic fresh --quiet ${STREAM_FLAGS:-} 2> "$DATA/stream-fresh.txt" &
streamer=$!
pids+=($streamer)
"$RECUR" serve --port 7879 --model production > "$DATA/stream-serve.txt" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 1 100); do "$BENCH" freshness --brokers "$BROKERS" --topic fresh --port 7879 --probes 0 >/dev/null 2>&1 && break; sleep 0.2; done
kill -0 "$server" 2>/dev/null || { echo "recur serve did not start:"; tail -3 "$DATA/stream-serve.txt"; exit 1; }
"$RECUR" score --port 7879 --wait 120s nobody >/dev/null
duration=$(echo "$PROBES * 0.2 + 20" | bc)
"$RECUR" events produce --brokers "$BROKERS" --topic fresh --users 50000 --seed 12 --start 2026-01-01 --days 60 --rate "$RATE" --events $(echo "$RATE * $duration / 1" | bc) \
  --quiet > "$DATA/stream-fresh-produce.txt" 2>&1 &
producer=$!
pids+=($producer)
sleep 10
"$BENCH" freshness --brokers "$BROKERS" --topic fresh --port 7879 --probes "$PROBES" --interval 0.2
# The probes are done: stop the background producer (its summary says what it sent).
kill -TERM "$producer" 2>/dev/null || true
wait "$producer" || true
grep -a -E '^produced' "$DATA/stream-fresh-produce.txt" || true
# Stop the builder before the mock goes away, so its summary (batches, commit latency) is printed.
kill -TERM "$streamer" 2>/dev/null || true
wait "$streamer" || true
grep -a -E '^stream: stopped' "$DATA/stream-fresh.txt" || true
