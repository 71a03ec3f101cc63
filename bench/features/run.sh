#!/usr/bin/env bash
# Feature engine: the aggregator alone (events/s on one core, bytes of state per user), then a full
# backfill of generated events at weekly as-of times over a year (events/s, peak memory).
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${EVENTS:-10000000}
USERS=${USERS:-200000}
DATA=bench/data
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/features-home"

swift build -c release --product recur >/dev/null
swift build -c release --product recur-bench >/dev/null
RECUR=.build/release/recur

echo "== aggregator, one core"
.build/release/recur-bench fold --users 40000 --events 2000000 --runs 5

CSV="$DATA/events-$USERS-$EVENTS.csv"
[[ -s "$CSV" ]] || "$RECUR" events generate --users "$USERS" --events "$EVENTS" --seed 11 --start 2025-01-01 --days 365 --output "$CSV"
"$RECUR" db start >/dev/null
loaded=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
if [[ "$loaded" -lt $((EVENTS * 9 / 10)) ]]; then
  "$RECUR" events import "$CSV" --quiet
fi
"$RECUR" events stats

echo "== backfill, weekly as-of times over the year, 2 workers"
/usr/bin/time -v "$RECUR" features backfill --from 2025-01-05 --to 2025-12-28 --every 7d --quiet 2> "$DATA/backfill-time.txt" || { cat "$DATA/backfill-time.txt"; exit 1; }
grep -E "^backfill" "$DATA/backfill-time.txt"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$DATA/backfill-time.txt"
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')
psql -X -h "$SOCKET" -U postgres -d recur -tAc "SELECT 'user_features: ' || count(*) || ' users, mean state ' || round(avg(octet_length(state))) || ' bytes' FROM user_features"
