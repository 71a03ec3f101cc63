#!/usr/bin/env bash
# Fuzzes the server's request framing with libFuzzer for a bounded time (FUZZ_SECONDS, default 30).
# The parser's sources are compiled on their own with the fuzz entry point in Fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
OUT=.build/fuzz
mkdir -p "$OUT/corpus"
printf 'SCORE u1\r\n' > "$OUT/corpus/plain"
printf '*2\r\n$5\r\nSCORE\r\n$2\r\nu1\r\n' > "$OUT/corpus/resp"
swiftc -sanitize=fuzzer,address -parse-as-library -O \
  Sources/RecurServer/Request.swift Sources/RecurServer/FrameParser.swift Fuzz/FrameParserFuzz.swift \
  -o "$OUT/frame-parser-fuzz" > "$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
"$OUT/frame-parser-fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 "$OUT/corpus" 2>&1 | tail -n 4
echo "fuzz: frame parser ran ${SECONDS_TO_RUN}s without a crash" >&2
