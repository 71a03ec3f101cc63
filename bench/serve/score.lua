-- wrk: GET {PREFIX}/v1/score/{user} for random users in [0, BENCH_USERS), ids as 12-digit numbers like the generator's.
local users = tonumber(os.getenv("BENCH_USERS") or "100000")
local prefix = os.getenv("BENCH_PREFIX") or ""
math.randomseed(os.time())
request = function()
  return wrk.format("GET", string.format("%s/v1/score/%012d", prefix, math.random(0, users - 1)))
end
