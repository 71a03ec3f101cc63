#!/usr/bin/env bash
# redis-cli and redis-benchmark (Debian's redis-tools) against recur serve: PING, SCORE, MSCORE,
# RESP3 (-3), INFO, a --pipe of 1000, AUTH (-a), an unknown command, and a short benchmark run.
set -uo pipefail
port=$1 user=$2 expected=$3 at=$4 token=${5:-}
version=$(redis-cli --version | awk '{print $2}')
fail() { echo "FAIL redis-cli $version: $*" >&2; exit 1; }
auth=()
[[ -n "$token" ]] && auth=(-a "$token" --no-auth-warning)
cli() { redis-cli -h 127.0.0.1 -p "$port" "${auth[@]}" "$@"; }

[[ "$(cli PING)" == PONG ]] || fail PING
[[ "$(cli SCORE "$user" AT "$at")" == "$expected" ]] || fail SCORE
[[ "$(cli -3 SCORE "$user" AT "$at")" == "$expected" ]] || fail "SCORE over RESP3 (-3)"
[[ "$(cli MSCORE "$user" nobody-at-all | wc -l)" == 2 ]] || fail MSCORE
cli INFO server | grep -q '^redis_version:' || fail INFO
cli -3 HELLO 3 | grep -q 'proto' || fail "HELLO 3"
# --pipe sends the commands in RESP (plain lines get plain replies here, which redis-cli cannot read),
# then a CRLF and an ECHO of 20 random bytes of its own, to know when every reply is in.
resp() { printf '*4\r\n$5\r\nSCORE\r\n$%d\r\n%s\r\n$2\r\nAT\r\n$%d\r\n%s\r\n' "${#user}" "$user" "${#at}" "$at"; }
pipe=$(for _ in $(seq 1000); do resp; done | cli --pipe 2>&1)
grep -q 'errors: 0, replies: 1000' <<<"$pipe" || fail "--pipe of 1000: $pipe"
unknown=$(cli NO-SUCH-COMMAND x 2>&1)
grep -q UNKNOWN_COMMAND <<<"$unknown" || fail "unknown command: $unknown"
# The same connection carries on after an error: two commands in one session.
both=$(printf 'NO-SUCH-COMMAND x\nPING\n' | cli 2>&1)
grep -q PONG <<<"$both" || fail "PING after an error on the same connection: $both"
if [[ -n "$token" ]]; then
  noauth=$(redis-cli -h 127.0.0.1 -p "$port" SCORE "$user" 2>&1)
  grep -q NOAUTH <<<"$noauth" || fail "SCORE without AUTH: $noauth"
  wrong=$(redis-cli -h 127.0.0.1 -p "$port" -a "wrong" --no-auth-warning SCORE "$user" 2>&1)
  grep -q -E 'WRONGPASS|NOAUTH' <<<"$wrong" || fail "wrong token: $wrong"
  echo "ok redis-cli $version AUTH refused without and with a wrong token"
fi
echo "ok redis-cli $version"
bench_auth=()
[[ -n "$token" ]] && bench_auth=(-a "$token")
bench=$(redis-benchmark -h 127.0.0.1 -p "$port" "${bench_auth[@]}" -n 2000 -c 4 -P 16 -q SCORE "$user" AT "$at" 2>&1)
grep -q 'requests per second' <<<"$bench" || fail "redis-benchmark: $bench"
if grep -qi 'error' <<<"$bench"; then fail "redis-benchmark reported errors: $bench"; fi
echo "ok redis-benchmark $version"
