"""Mixed handler: ~6 ms of CPU on the event loop plus ~30 ms of awaited downstream I/O per request."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

app = FastAPI(title="mixed")

RANK_ROUNDS = 30_000  # fixed work, ~6 ms of pure Python on this class of machine
FETCH_LATENCY_S = 0.03


def rank_items(seed: int, rounds: int = RANK_ROUNDS) -> list[int]:
    """Pure-Python ranking work that holds the GIL on the loop thread."""
    acc = seed
    scores = []
    for i in range(rounds):
        acc = (acc * 1_103_515_245 + 12_345 + i) % 2_147_483_648
        if i % 1_000 == 0:
            scores.append(acc % 997)
    return sorted(scores, reverse=True)


async def fetch_candidates() -> list[int]:
    """Awaited downstream call (simulated): the loop is free meanwhile."""
    await asyncio.sleep(FETCH_LATENCY_S)
    return list(range(10))


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/recommend")
async def recommend() -> dict[str, object]:
    candidates = await fetch_candidates()
    return {"items": rank_items(len(candidates))[:5]}
