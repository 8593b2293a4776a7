"""Blocking call in an async handler: time.sleep stalls the event loop, directly and one sync helper deep."""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI

app = FastAPI(title="blocking")

LEGACY_QUERY_S = 0.05


def fetch_legacy_inventory() -> dict[str, int]:
    """A sync 'driver' call (think psycopg2 or requests) made from async code: it blocks the loop."""
    time.sleep(LEGACY_QUERY_S)  # blocking site (one call deep): the whole loop stalls here
    return {"widgets": 7}


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/report")
async def report() -> dict[str, str]:
    time.sleep(0.05)  # blocking site (direct): the whole loop stalls here
    return {"report": "ready"}


@app.get("/inventory")
async def inventory() -> dict[str, int]:
    return fetch_legacy_inventory()  # calls the blocking helper above


@app.get("/fast")
async def fast() -> dict[str, str]:
    """A well-behaved handler: its latency still suffers while /report or /inventory block the loop."""
    await asyncio.sleep(0.01)
    return {"status": "fast"}
