#!/usr/bin/env bash
# Fuzzes the server's request framing, the HTTP request target and the JSON Lines reader (files and stream messages) with libFuzzer for a bounded time (FUZZ_SECONDS, default 30).
# The parser's sources are compiled on their own with the fuzz entry point in Fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
# libFuzzer reports a crash and keeps the input itself; the Swift backtracer would spend minutes symbolicating
# the sanitized binary while the run waits.
export SWIFT_BACKTRACE=enable=no
OUT=.build/fuzz

# fuzz NAME WHAT MAX_LEN SOURCES…: builds NAME from the parser's sources and its entry point, runs it
# on $OUT/NAME-corpus (seeded beforehand, plus every Fuzz/regressions/NAME-* input that once broke it)
# and stops the script with the crashing input's path when it fails.
fuzz() {
  local name=$1 what=$2 max_len=$3; shift 3
  swiftc -sanitize=fuzzer,address -parse-as-library -O "$@" -o "$OUT/$name-fuzz" > "$OUT/$name-build.log" 2>&1 \
    || { cat "$OUT/$name-build.log"; exit 1; }
  cp Fuzz/regressions/"$name"-* "$OUT/$name-corpus/" 2>/dev/null || true
  if ! "$OUT/$name-fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$OUT/" \
    "$OUT/$name-corpus" > "$OUT/$name-run.log" 2>&1; then
    grep -E "Fatal error|precondition|ERROR|SUMMARY|Test unit written" "$OUT/$name-run.log" >&2
    echo "fuzz: the $what failed on the input in $OUT/crash-*; keep it in Fuzz/regressions/ as $name-*" >&2
    exit 1
  fi
  tail -n 4 "$OUT/$name-run.log"
  echo "fuzz: the $what ran ${SECONDS_TO_RUN}s without a crash" >&2
}

mkdir -p "$OUT/frame-corpus" "$OUT/json-corpus" "$OUT/target-corpus"
printf 'SCORE u1\r\n' > "$OUT/frame-corpus/plain"
printf '*2\r\n$5\r\nSCORE\r\n$2\r\nu1\r\n' > "$OUT/frame-corpus/resp"
fuzz frame "frame parser" 4096 Sources/RecurServer/Request.swift Sources/RecurServer/FrameParser.swift Fuzz/FrameParserFuzz.swift

printf '/v1/score/u%%2F1?at=2025-01-01+10%%3A00&model=v3' > "$OUT/target-corpus/score"
fuzz target "HTTP target parser" 1024 Sources/RecurServer/HTTPTarget.swift Fuzz/HTTPTargetFuzz.swift

printf '{"event_id":"e1","user_id":"u1","ts":"2025-01-01T00:00:00Z","event_type":"view","n":1.5,"x":null,"o":{"a":[1]}}' > "$OUT/json-corpus/event"
printf '{"a\\u0062":"\\"q\\"","a":"x","a":true}' > "$OUT/json-corpus/escapes"
# The JSON harness also checks that parsing and scanning agree on every input.
fuzz json "JSON Lines reader" 2048 Sources/RecurCore/Import/JSONLineParser.swift Fuzz/JSONLineParserFuzz.swift
