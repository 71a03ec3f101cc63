"""redis-py's RedisCluster against a Recur cluster: it discovers the nodes with CLUSTER SLOTS, routes
SCORE by the user's slot (from COMMAND's key positions) and follows MOVED. Reads `user expected` lines
on stdin and prints OK when every answer equals the expected one.
usage: redis_py_cluster.py PORT AT"""
import sys

from redis.cluster import RedisCluster
from redis.exceptions import ResponseError

port, at = int(sys.argv[1]), sys.argv[2]
cluster = RedisCluster(host="127.0.0.1", port=port, decode_responses=True)
wrong = 0
for line in sys.stdin:
    user, expected = line.rstrip("\n").split("\t")
    try:
        answer = cluster.execute_command("SCORE", user, "AT", at)
    except ResponseError as error:  # a refusal (PAST_AT) is an answer too, the same on every node
        answer = f"ERR {error}"
    if answer != expected:
        wrong += 1
        print(f"{user}: {answer!r} != {expected!r}")
nodes = {n.port for n in cluster.get_nodes()}
print(f"nodes {sorted(nodes)}")
print("OK" if wrong == 0 else f"{wrong} wrong")
