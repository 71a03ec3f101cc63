#!/usr/bin/env bash
# Fuzzes the server's request framing and the JSON Lines reader (files and stream messages) with libFuzzer for a bounded time (FUZZ_SECONDS, default 30).
# The parser's sources are compiled on their own with the fuzz entry point in Fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
# libFuzzer reports a crash and keeps the input itself; the Swift backtracer would spend minutes symbolicating
# the sanitized binary while the run waits.
export SWIFT_BACKTRACE=enable=no
OUT=.build/fuzz
mkdir -p "$OUT/corpus"
printf 'SCORE u1\r\n' > "$OUT/corpus/plain"
printf '*2\r\n$5\r\nSCORE\r\n$2\r\nu1\r\n' > "$OUT/corpus/resp"
swiftc -sanitize=fuzzer,address -parse-as-library -O \
  Sources/RecurServer/Request.swift Sources/RecurServer/FrameParser.swift Fuzz/FrameParserFuzz.swift \
  -o "$OUT/frame-parser-fuzz" > "$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
cp Fuzz/regressions/frame-* "$OUT/corpus/" 2>/dev/null || true
if ! "$OUT/frame-parser-fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/" "$OUT/corpus" > "$OUT/frame-run.log" 2>&1; then
  grep -E "Fatal error|precondition|ERROR|SUMMARY|Test unit written" "$OUT/frame-run.log" >&2
  echo "fuzz: the frame parser failed on the input in $OUT/crash-*; keep it in Fuzz/regressions/ as frame-*" >&2
  exit 1
fi
tail -n 4 "$OUT/frame-run.log"
echo "fuzz: frame parser ran ${SECONDS_TO_RUN}s without a crash" >&2
mkdir -p "$OUT/json-corpus"
printf '{"event_id":"e1","user_id":"u1","ts":"2025-01-01T00:00:00Z","event_type":"view","n":1.5,"x":null,"o":{"a":[1]}}' > "$OUT/json-corpus/event"
printf '{"a\\u0062":"\\"q\\"","a":"x","a":true}' > "$OUT/json-corpus/escapes"
swiftc -sanitize=fuzzer,address -parse-as-library -O \
  Sources/RecurCore/Import/JSONLineParser.swift Fuzz/JSONLineParserFuzz.swift \
  -o "$OUT/json-line-fuzz" > "$OUT/build-json.log" 2>&1 || { cat "$OUT/build-json.log"; exit 1; }
# Inputs that once broke the reader (or the harness) run first, every time.
cp Fuzz/regressions/json-* "$OUT/json-corpus/" 2>/dev/null || true
if ! "$OUT/json-line-fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=2048 -print_final_stats=1 -artifact_prefix="$OUT/" "$OUT/json-corpus" > "$OUT/json-run.log" 2>&1; then
  grep -E "Fatal error|precondition|ERROR|SUMMARY|Test unit written" "$OUT/json-run.log" >&2
  echo "fuzz: the JSON Lines reader failed on the input in $OUT/crash-*; keep it in Fuzz/regressions/" >&2
  exit 1
fi
tail -n 4 "$OUT/json-run.log"
echo "fuzz: JSON Lines reader ran ${SECONDS_TO_RUN}s without a crash; parse and scan agreed on every input" >&2
