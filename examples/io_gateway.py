"""I/O-bound gateway: async handlers spend ~all their time awaiting a slow downstream, almost no CPU."""

from __future__ import annotations

import asyncio
import random

from fastapi import FastAPI

app = FastAPI(title="io-gateway")

# Simulated downstream round trips (seconds). Long enough that even 100 concurrent users
# keep the loop mostly idle: the gateway's own work per request is well under a millisecond.
DOWNSTREAM_LATENCY_S = (0.12, 0.18)
_jitter = random.Random(42)


async def call_downstream(service: str) -> dict[str, str]:
    """Stand-in for an awaited HTTP call to another service: the loop is free while it waits."""
    await asyncio.sleep(_jitter.uniform(*DOWNSTREAM_LATENCY_S))
    return {"service": service, "status": "ok"}


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/quote")
async def quote() -> dict[str, object]:
    pricing = await call_downstream("pricing")
    return {"quote": 42.0, "source": pricing}


@app.get("/aggregate")
async def aggregate() -> dict[str, object]:
    parts = await asyncio.gather(call_downstream("users"), call_downstream("orders"), call_downstream("stock"))
    return {"parts": list(parts)}
