"""Idle CPU from telemetry: a 'metrics-push' thread started at import burns ~40% of a core with no traffic."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib

from fastapi import FastAPI

app = FastAPI(title="telemetry")

BUSY_S = 0.04  # per 100 ms cycle: ~40% of one core, traffic or not
CYCLE_S = 0.1


def _encode_snapshot(counter: int) -> bytes:
    snapshot = {f"metric_{i}": counter * i for i in range(200)}
    return zlib.compress(json.dumps(snapshot).encode())


def push_loop() -> None:
    """Re-encodes a metrics snapshot in a tight loop, then naps: the kind of SDK thread nobody notices."""
    counter = 0
    while True:
        until = time.perf_counter() + BUSY_S
        while time.perf_counter() < until:
            counter += 1
            _encode_snapshot(counter)
        time.sleep(CYCLE_S - BUSY_S)


threading.Thread(target=push_loop, name="metrics-push", daemon=True).start()


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items")
async def items() -> dict[str, list[int]]:
    await asyncio.sleep(0.02)  # cheap async I/O: requests are not the problem here
    return {"items": [1, 2, 3]}
