"""redis-py (the newest from PyPI) against recur serve: sync, pipeline, pool, asyncio; RESP2 and RESP3;
with the hiredis reply parser (C) when it is installed and with the pure-Python one.

RECUR_CLIENT_LIBRARY=valkey runs the same checks with valkey-py, the Valkey project's client (a fork
of redis-py with the same API and its own releases)."""
import asyncio
import importlib
import os
import sys
import threading

redis = importlib.import_module(os.environ.get("RECUR_CLIENT_LIBRARY", "redis"))
importlib.import_module(redis.__name__ + ".asyncio")
NoBackoff = importlib.import_module(redis.__name__ + ".backoff").NoBackoff
Retry = importlib.import_module(redis.__name__ + ".retry").Retry
connection = importlib.import_module(redis.__name__ + ".connection")
# The reply parsers: the library's default (hiredis's or libvalkey's C parser when installed) and the
# pure-Python one (which the library swaps for its RESP3 twin on a RESP3 connection).
PARSERS = {"python": connection._RESP2Parser}
if connection.DefaultParser is not connection._RESP2Parser:
    PARSERS = {connection.DefaultParser.__name__.strip("_"): connection.DefaultParser, **PARSERS}
NAME = f"{redis.__name__}-py {redis.__version__}"

port, user, expected, at = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
token = sys.argv[5] if len(sys.argv) > 5 else None


def check(condition, what):
    if not condition:
        sys.exit(f"FAIL {NAME}: {what}")


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def sync(protocol, parser):
    pool = redis.ConnectionPool(port=port, password=token, protocol=protocol, client_name="recur-test", parser_class=PARSERS[parser])
    r = redis.Redis(connection_pool=pool)
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
    print(f"ok {NAME} sync RESP{protocol}, {parser} parser")


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
    print(f"ok {NAME} connection pool, 8 threads")


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
    print(f"ok {NAME} asyncio RESP{protocol}")


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
    print(f"ok {NAME} AUTH refused without and with a wrong token")


for protocol in (2, 3):
    for parser in PARSERS:
        sync(protocol, parser)
    asyncio.run(asynchronous(protocol))
pool()
authentication()
