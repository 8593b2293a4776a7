"""Sync def endpoints and a sync Depends: each request holds one of anyio's 40 threadpool tokens for ~100 ms."""

from __future__ import annotations

import time

from fastapi import Depends, FastAPI

app = FastAPI(title="sync-endpoints")

QUERY_S = 0.1


def get_tenant() -> str:
    """Sync dependency: FastAPI runs it on the same 40-token thread pool as the endpoint."""
    time.sleep(0.005)
    return "acme"


@app.get("/")
async def health() -> dict[str, str]:
    """async on purpose: the health probe must not queue behind a saturated thread pool."""
    return {"status": "ok"}


@app.get("/orders")
def orders(tenant: str = Depends(get_tenant)) -> dict[str, object]:
    time.sleep(QUERY_S)  # a sync DB call, fine in a def endpoint, but one thread per request
    return {"tenant": tenant, "orders": [1, 2, 3]}


@app.get("/profile")
def profile() -> dict[str, str]:
    time.sleep(QUERY_S)
    return {"name": "Ada"}
