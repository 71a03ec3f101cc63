"""redis-py (the newest from PyPI) against recur serve: sync, pipeline, pool, asyncio; RESP2 and RESP3."""
import asyncio
import sys
import threading

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

port, user, expected, at = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
token = sys.argv[5] if len(sys.argv) > 5 else None


def check(condition, what):
    if not condition:
        sys.exit(f"FAIL redis-py {redis.__version__}: {what}")


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def sync(protocol):
    r = redis.Redis(port=port, password=token, protocol=protocol, client_name="recur-test")
    check(r.ping() is True, f"PING (RESP{protocol})")
    check(text(r.execute_command("SCORE", user, "AT", at)) == expected, f"SCORE (RESP{protocol})")
    scores = [text(s) for s in r.execute_command("MSCORE", user, "nobody-at-all")]
    check(len(scores) == 2 and scores[1].endswith(" cold"), f"MSCORE (RESP{protocol}): {scores}")
    check(text(r.client_getname()) == "recur-test", f"CLIENT GETNAME (RESP{protocol})")
    info = r.info()
    check(info.get("loading") == 0 and "redis_version" in info, f"INFO (RESP{protocol})")
    pipe = r.pipeline(transaction=False)
    for _ in range(1000):
        pipe.execute_command("SCORE", user, "AT", at)
    replies = [text(s) for s in pipe.execute()]
    check(replies == [expected] * 1000, f"pipeline of 1000 (RESP{protocol})")
    # pipeline() with no arguments is a transaction: MULTI, the commands, EXEC.
    with r.pipeline() as transaction:
        for _ in range(100):
            transaction.execute_command("SCORE", user, "AT", at)
        check([text(s) for s in transaction.execute()] == [expected] * 100, f"MULTI/EXEC pipeline (RESP{protocol})")
    try:
        r.execute_command("NO-SUCH-COMMAND", "x")
        check(False, "an unknown command should fail")
    except redis.ResponseError as error:
        check("UNKNOWN_COMMAND" in str(error), f"unknown command error: {error}")
    check(r.ping() is True, f"PING after the error (RESP{protocol})")
    features = r.execute_command("FEATURES", user, "AT", at)
    if protocol == 3:
        check(isinstance(features, dict) and len(features) > 10, "FEATURES is a map in RESP3")
    else:
        check(text(features).startswith("{"), "FEATURES is JSON in RESP2")
    print(f"ok redis-py {redis.__version__} sync RESP{protocol}")


def pool():
    shared = redis.ConnectionPool(port=port, password=token, max_connections=8)
    failures = []

    def worker():
        r = redis.Redis(connection_pool=shared)
        for _ in range(200):
            if text(r.execute_command("SCORE", user, "AT", at)) != expected:
                failures.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not failures, f"connection pool: {len(failures)} wrong replies")
    print("ok redis-py connection pool, 8 threads")


async def asynchronous(protocol):
    r = redis.asyncio.Redis(port=port, password=token, protocol=protocol)
    check(await r.ping() is True, f"async PING (RESP{protocol})")
    replies = await asyncio.gather(*[r.execute_command("SCORE", user, "AT", at) for _ in range(100)])
    check([text(s) for s in replies] == [expected] * 100, f"async SCORE (RESP{protocol})")
    async with r.pipeline(transaction=False) as pipe:
        for _ in range(1000):
            pipe.execute_command("SCORE", user, "AT", at)
        check([text(s) for s in await pipe.execute()] == [expected] * 1000, f"async pipeline (RESP{protocol})")
    await r.aclose()
    print(f"ok redis-py asyncio RESP{protocol}")


def authentication():
    if token is None:
        return
    # redis-py retries a refused connection with backoff by default, as it would against Redis: not here.
    once = Retry(NoBackoff(), 0)
    for protocol in (2, 3):
        try:
            redis.Redis(port=port, protocol=protocol, retry=once).execute_command("SCORE", user)
            check(False, "SCORE without AUTH should fail")
        except redis.AuthenticationError:
            pass
        try:
            redis.Redis(port=port, password="wrong-" + token, protocol=protocol, retry=once).ping()
            check(False, "a wrong password should fail")
        except redis.AuthenticationError:
            pass
    print("ok redis-py AUTH refused without and with a wrong token")


for protocol in (2, 3):
    sync(protocol)
    asyncio.run(asynchronous(protocol))
pool()
authentication()
