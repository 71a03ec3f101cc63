#!/usr/bin/env bash
# Point-in-time retrieval for your own rows: `recur features join` (all 45 features of default@1) beside
# DuckDB computing five of them (purchase counts over 30 and 90 days, purchase amount over 90 days net of
# refunds, as Recur defines it, days
# since the last purchase, distinct purchase days over 90 days) for the same 1,000,000 rows at random
# times, from the same events exported to a file it reads. Wall time and peak RSS, median of RUNS,
# alternating Recur and DuckDB.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
ROWS=${ROWS:-1000000}
EVENTS=${EVENTS:-10000000}
USERS=${USERS:-200000}
DATA=bench/data
mkdir -p "$DATA"
export RECUR_HOME="$PWD/$DATA/features-home"
[[ -x bench/.venv/bin/python ]] || python3 -m venv bench/.venv
bench/.venv/bin/python -c "import duckdb" 2>/dev/null || bench/.venv/bin/pip install -q duckdb
# RECUR: the binary measured (default: this tree's release build); RECUR_BEFORE: an earlier build
# measured in the same rounds, for a before/after figure.
if [[ -z "${RECUR:-}" ]]; then swift build -c release --product recur >/dev/null; RECUR=.build/release/recur; fi

# The 10M-event store of bench/features/run.sh (events only: the join needs no snapshots).
CSV="$DATA/events-$USERS-$EVENTS.csv"
[[ -s "$CSV" ]] || "$RECUR" events generate --users "$USERS" --events "$EVENTS" --seed 11 --start 2025-01-01 --days 365 --output "$CSV"
"$RECUR" db start >/dev/null
"$RECUR" db migrate >/dev/null
loaded=$("$RECUR" events stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
if [[ "$loaded" -lt $((EVENTS * 9 / 10)) ]]; then "$RECUR" events import "$CSV" --quiet; fi
SOCKET=$("$RECUR" db status | awk '/^socket:/ {print $2}')

# The same events for DuckDB, and the rows: users drawn from the store, times uniform over the year.
PEER_EVENTS="$DATA/join-events.csv"
[[ -s "$PEER_EVENTS" ]] || psql -X -q -h "$SOCKET" -U postgres -d recur -c \
  "\copy (SELECT user_id, ts, event_type, amount FROM events) TO '$PEER_EVENTS' CSV HEADER"
ROWFILE="$DATA/join-rows-$ROWS.csv"
if [[ ! -s "$ROWFILE" ]]; then
  psql -X -q -h "$SOCKET" -U postgres -d recur -tAc "SELECT DISTINCT user_id FROM events" > "$DATA/join-users.txt"
  bench/.venv/bin/python - "$DATA/join-users.txt" "$ROWFILE" "$ROWS" <<'PY'
import random, sys, datetime
users = open(sys.argv[1]).read().split()
random.seed(7)
start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
with open(sys.argv[2], "w") as out:
    out.write("row_id,user_id,ts,label\n")
    for i in range(int(sys.argv[3])):
        t = datetime.datetime.fromtimestamp(start + random.random() * 365 * 86400, datetime.timezone.utc)
        out.write(f"{i},{random.choice(users)},{t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{random.randint(0, 1)}\n")
PY
fi

cat > "$DATA/join-peer.py" <<'PY'
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{sys.argv[1]}', header=true, columns={{'user_id': 'VARCHAR', 'ts': 'TIMESTAMPTZ', 'event_type': 'VARCHAR', 'amount': 'DOUBLE'}})")
con.execute(f"CREATE TABLE rows AS SELECT * FROM read_csv('{sys.argv[2]}', header=true, columns={{'row_id': 'BIGINT', 'user_id': 'VARCHAR', 'ts': 'TIMESTAMPTZ', 'label': 'INTEGER'}})")
con.execute(f"""
COPY (
  SELECT r.row_id, r.user_id, r.ts, r.label,
    count(p.ts) FILTER (WHERE p.purchase AND p.ts >= r.ts - INTERVAL 30 DAY) AS purchase_count_30d,
    count(p.ts) FILTER (WHERE p.purchase AND p.ts >= r.ts - INTERVAL 90 DAY) AS purchase_count_90d,
    coalesce(sum(CASE WHEN p.purchase THEN p.amount ELSE -p.amount END) FILTER (WHERE p.ts >= r.ts - INTERVAL 90 DAY), 0) AS purchase_amount_sum_90d,
    epoch(r.ts - max(p.ts) FILTER (WHERE p.purchase)) / 86400.0 AS days_since_last_purchase,
    count(DISTINCT date_trunc('day', p.ts)) FILTER (WHERE p.purchase AND p.ts >= r.ts - INTERVAL 90 DAY) AS purchase_days_90d
  FROM rows r LEFT JOIN (SELECT user_id, ts, coalesce(amount, 0) AS amount, event_type = 'purchase' AS purchase FROM events
                         WHERE event_type IN ('purchase', 'refund')) p ON p.user_id = r.user_id AND p.ts < r.ts
  GROUP BY r.row_id, r.user_id, r.ts, r.label ORDER BY r.row_id
) TO '{sys.argv[3]}' (HEADER)""")
PY

measure() {  # label, then the command; prints "label wall_s rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$DATA/join-time.txt" "$@" >/dev/null 2>"$DATA/join-$label.err" || { cat "$DATA/join-$label.err"; exit 1; }
  read -r wall kb < "$DATA/join-time.txt"
  echo "$label $wall $((kb / 1024))"
}
: > "$DATA/join-runs.txt"
for run in $(seq "$RUNS"); do
  measure recur "$RECUR" features join "$ROWFILE" -o "$DATA/join-out-recur.csv" | tee -a "$DATA/join-runs.txt"
  if [[ -n "${RECUR_BEFORE:-}" ]]; then
    measure before "$RECUR_BEFORE" features join "$ROWFILE" -o "$DATA/join-out-before.csv" | tee -a "$DATA/join-runs.txt"
  fi
  measure duckdb bench/.venv/bin/python "$DATA/join-peer.py" "$PEER_EVENTS" "$ROWFILE" "$DATA/join-out-duckdb.csv" | tee -a "$DATA/join-runs.txt"
done
tail -n 1 "$DATA/join-recur.err"
if [[ -n "${RECUR_BEFORE:-}" ]]; then
  cmp -s "$DATA/join-out-recur.csv" "$DATA/join-out-before.csv" || { echo "the output differs from the build before's" >&2; exit 1; }
  echo "output byte for byte equal to the build before's"
fi
# Both computed the same five numbers for every row.
bench/.venv/bin/python - "$DATA/join-out-recur.csv" "$DATA/join-out-duckdb.csv" <<'PY'
import csv, sys, math
names = ["purchase_count_30d", "purchase_count_90d", "purchase_amount_sum_90d", "days_since_last_purchase", "purchase_days_90d"]
a, b = csv.DictReader(open(sys.argv[1])), csv.DictReader(open(sys.argv[2]))
worst, rows = 0.0, 0
for x, y in zip(a, b):
    rows += 1
    assert x["row_id"] == y["row_id"], (x["row_id"], y["row_id"])
    for n in names:
        u = float(x[n]) if x[n] else math.nan
        v = float(y[n]) if y[n] else math.nan
        if math.isnan(u) and math.isnan(v): continue
        worst = max(worst, abs(u - v) / max(1.0, abs(v)))
print(f"compared {rows} rows × 5 features with DuckDB: largest relative difference {worst:.2e}")
PY
python3 - "$DATA/join-runs.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, wall, rss = line.split()
    runs.setdefault(label, []).append((float(wall), int(rss)))
med = {k: (statistics.median(w for w, _ in v), max(r for _, r in v), min(w for w, _ in v), max(w for w, _ in v)) for k, v in runs.items()}
for k, (m, rss, lo, hi) in med.items():
    print(f"{k}: median {m:.1f} s (range {lo:.1f}-{hi:.1f}), peak RSS {rss} MB")
print(f"recur (45 features) / duckdb (5 features) wall time: {med['recur'][0] / med['duckdb'][0]:.2f}x")
if "before" in med:
    print(f"recur / the build before, same rounds: {med['recur'][0] / med['before'][0]:.2f}x")
PY
