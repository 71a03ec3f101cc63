#!/usr/bin/env bash
# The whole product on one machine: installs what Recur needs, builds it, and runs `recur demo`: a year
# of generated events that ends today streamed through Kafka (an in-process mock cluster) and a watched
# folder into the embedded PostgreSQL, weekly snapshots, three models trained and compared, the winner
# served over TCP and HTTP, and one `recur refresh`. Data lives in ./.recur (or $RECUR_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product recur
exec .build/release/recur demo "$@"
