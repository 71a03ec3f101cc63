#!/usr/bin/env bash
# The whole path on one machine: install, build, generate a year of shop events, import them into the
# embedded PostgreSQL, and show what is stored. Data lives in ./.recur (or $RECUR_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product recur
RECUR=.build/release/recur
mkdir -p .recur/demo
DEMO=.recur/demo

echo "== generate 5,000 users' events (2% late, 1% duplicated)" >&2
"$RECUR" events generate --users 5000 --seed 1 --late 2 --duplicates 1 --output "$DEMO/events.csv"
echo "== import (then import again: nothing new)" >&2
"$RECUR" events import "$DEMO/events.csv"
"$RECUR" events import "$DEMO/events.csv" --quiet
echo "== stored events" >&2
"$RECUR" events stats
