#!/usr/bin/env bash
# Resident bytes per user of `recur serve` once loaded: starts each given binary (default: this
# checkout's release build) on the same store, waits until STATS says ready, reads VmRSS, stops it.
# Several binaries alternate RUNS times, so a before/after pair is measured side by side.
# The store defaults to the one bench/stream/run.sh leaves (183,701 users, schema bench_stream);
# set RECUR_HOME, RECUR_SCHEMA and RECUR_MODELS_DIR to measure another (a model must be promoted).
#
#   NODES=3 bench/serve/memory.sh      also a cluster of 3 nodes on the same store (`--cluster-config`),
#                                       the slots split evenly: each node's users and RSS beside the
#                                       single server's, alternating, so a node's share can be compared.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
PORT=${PORT:-7891}
export RECUR_HOME=${RECUR_HOME:-$PWD/bench/data/stream-home}
export RECUR_SCHEMA=${RECUR_SCHEMA:-bench_stream}
export RECUR_MODELS_DIR=${RECUR_MODELS_DIR:-$PWD/bench/data/stream-models}
command -v redis-cli >/dev/null || RECUR_SETUP_BENCH=1 ./scripts/setup.sh
if (($# == 0)); then
  swift build -c release --product recur >/dev/null
  set -- .build/release/recur
fi
"$1" db start >/dev/null

NODES=${NODES:-1}
mkdir -p bench/data
# Even slot ranges, one line per node: host:port first-last.
if ((NODES > 1)); then
  : > bench/data/memory-cluster.conf
  for ((n = 0; n < NODES; n++)); do
    echo "127.0.0.1:$((PORT + 1 + n)) $((16384 * n / NODES))-$((16384 * (n + 1) / NODES - 1))" >> bench/data/memory-cluster.conf
  done
fi

# Starts `serve` with the given extra arguments on PORT, waits until ready; prints pid, ready ms and users.
start() {
  local binary=$1 port=$2 log=$3 started pid stats
  started=$(date +%s%N)
  "$binary" serve --port "$port" --model production "${@:4}" > "$log" 2>&1 &
  pid=$!
  until stats=$(redis-cli -p "$port" STATS 2>/dev/null) && [[ "$stats" == *'"ready":true'* ]]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$pid $((($(date +%s%N) - started) / 1000000)) $(grep -o '"users":[0-9]*' <<< "$stats" | head -1 | cut -d: -f2)"
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() {
  local binary=$1 pid ready users rss
  read -r pid ready users < <(start "$binary" "$PORT" bench/data/memory-serve.log)
  sleep 2   # the first catch-up after the load
  rss=$(rss_kb "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-40s %10d users  ready %6d ms  RSS %7d MB  %5d bytes per user\n' "$binary" "$users" "$ready" "$((rss / 1024))" "$((rss * 1024 / users))"
}

# The nodes load one after another (PostgreSQL and the cores are shared); each is measured once all are up.
measure_cluster() {
  local binary=$1 n pid ready users rss pids=() node_users=() node_ready=() total_users=0 total_rss=0
  for ((n = 0; n < NODES; n++)); do
    read -r pid ready users < <(start "$binary" "$((PORT + 1 + n))" "bench/data/memory-node-$n.log" --cluster-config bench/data/memory-cluster.conf)
    pids+=("$pid"); node_users+=("$users"); node_ready+=("$ready")
  done
  sleep 2
  for ((n = 0; n < NODES; n++)); do
    rss=$(rss_kb "${pids[$n]}")
    total_users=$((total_users + node_users[n])); total_rss=$((total_rss + rss))
    printf '  %-38s %10d users  ready %6d ms  RSS %7d MB  %5d bytes per user\n' \
      "node $((n + 1)) of $NODES, slots $(sed -n "$((n + 1))p" bench/data/memory-cluster.conf | cut -d' ' -f2)" \
      "${node_users[$n]}" "${node_ready[$n]}" "$((rss / 1024))" "$((rss * 1024 / node_users[n]))"
  done
  kill "${pids[@]}"; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  printf '%-40s %10d users  (sum)          RSS %7d MB  %5d bytes per user\n' "$binary, $NODES nodes" "$total_users" "$((total_rss / 1024))" "$((total_rss * 1024 / total_users))"
}

for ((run = 1; run <= RUNS; run++)); do
  for binary in "$@"; do
    measure "$binary"
    ((NODES > 1)) && measure_cluster "$binary"
  done
done
