"""The stack the pipeline Recur replaces served scores with: FastAPI under uvicorn, answering a
stored score per user from memory (a dict filled at start, as a cache of batch scores would be).

`/v1/score/{user}` is an `async def` handler, the faster and idiomatic form for work that never
blocks; `/sync/v1/score/{user}` is the same as a plain `def`, which FastAPI runs in a thread pool
(the form its tutorials start with). The benchmark's peer is the faster one."""
import os
import random

from fastapi import FastAPI, HTTPException

USERS = int(os.environ.get("BENCH_USERS", "100000"))
rng = random.Random(7)
SCORES = {f"{u:012d}": rng.random() for u in range(USERS)}

app = FastAPI()


def answer(user: str):
    value = SCORES.get(user)
    if value is None:
        raise HTTPException(status_code=404, detail="unknown user")
    return {"user": user, "score": value, "model": "v3", "cold": False}


@app.get("/v1/score/{user}")
async def score(user: str):
    return answer(user)


@app.get("/sync/v1/score/{user}")
def score_sync(user: str):
    return answer(user)
