#!/usr/bin/env bash
# The whole path on one machine: install, build, generate a year of shop events, import them into the
# embedded PostgreSQL, compute weekly feature snapshots, train and compare two models, promote one.
# Data lives in ./.recur (or $RECUR_HOME); models in ./.recur/demo/models.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product recur
RECUR=.build/release/recur
DEMO=.recur/demo
mkdir -p "$DEMO"
export RECUR_MODELS_DIR="$DEMO/models"
step() { printf '\n== %s\n' "$*" >&2; }

step "generate a year of events for 5,000 users (2% late, 1% duplicated)"
"$RECUR" events generate --users 5000 --seed 1 --late 2 --duplicates 1 --output "$DEMO/events.csv"
step "import (and import again: nothing new)"
"$RECUR" events import "$DEMO/events.csv"
"$RECUR" events import "$DEMO/events.csv" --quiet
"$RECUR" events stats

step "weekly feature snapshots over the year, and every user's online state"
"$RECUR" features backfill --from 2025-01-05 --to 2025-12-28 --every 7d
"$RECUR" features describe | head -12
USER_ID=$(head -2 "$DEMO/events.csv" | tail -1 | cut -d, -f2)
"$RECUR" features show "$USER_ID" --as-of 2025-12-01 | head -8

step "train: purchase in the next 30 days, cutoffs June to November, the last one held out"
rm -rf "$RECUR_MODELS_DIR"
"$RECUR" train --version v1 --model logistic --from 2025-06-01 --to 2025-11-30 --every 7d --horizon 30d
"$RECUR" train --version v2 --model gbdt --from 2025-06-01 --to 2025-11-30 --every 7d --horizon 30d
"$RECUR" models promote v2 --alias production
"$RECUR" models list

step "serve scores over TCP (plain lines; redis-cli and Redis clients work too), then stop"
PORT=${RECUR_DEMO_PORT:-7878}
"$RECUR" serve --port "$PORT" --model production 2> "$DEMO/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
# `recur score` waits (up to --wait, 60s by default) while the server answers LOADING.
cut -d, -f2 "$DEMO/events.csv" | sed -n '2,200p' | sort -u | head -5 | "$RECUR" score --port "$PORT"
"$RECUR" score nobody-yet --port "$PORT"
kill -INT $SERVER; wait $SERVER 2>/dev/null || true
