# Sourced by the stream benchmarks. mock TOPIC PARTITIONS starts `recur kafka mock` in the background
# (not in a subshell, so the caller's cleanup knows its pid from `pids`) and sets BROKERS.
# Needs RECUR, DATA and a `pids` array.
mock() {
  local out="$DATA/mock-$1.out"
  "$RECUR" kafka mock --partitions "$2" --topic "$1" > "$out" 2> "$DATA/mock-$1.err" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^127.0.0.1' "$out" 2>/dev/null && break; sleep 0.1; done
  BROKERS=$(grep -m1 '^127.0.0.1' "$out")
}
