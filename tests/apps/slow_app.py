"""An endpoint that awaits far past any measured window (acceptance 1: no verdict from 0 RPS).

``GET /`` answers at once (the launcher's readiness probe); ``GET /slow`` sleeps 30 s.
"""

import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/slow")
async def slow() -> dict[str, str]:
    await asyncio.sleep(30)
    return {"status": "late"}
