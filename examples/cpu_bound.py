"""CPU-bound handler: an async endpoint runs ~30 ms of pure-Python scoring on the event loop per request."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI

app = FastAPI(title="cpu-bound")

# Fixed amount of work (not a time budget): ~30 ms on a 2-core 2020s VM. It holds the GIL
# the whole time, so the event loop can serve nothing else while it runs.
SCORE_ROUNDS = 50_000
DOCUMENT = "the quick brown fox jumps over the lazy dog " * 20


def score_document(text: str, rounds: int = SCORE_ROUNDS) -> int:
    """Iterated hashing over a document: a stand-in for ranking/feature extraction in pure Python.

    Module-level and picklable on purpose, so it can be sent to a ProcessPoolExecutor.
    """
    digest = text.encode()
    score = 0
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
        score = (score * 31 + digest[0] + digest[-1]) % 1_000_003
    return score


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/score")
async def score() -> dict[str, int]:
    return {"score": score_document(DOCUMENT)}  # CPU on the event loop: ~30 ms per request
