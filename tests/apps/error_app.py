"""Answers 500 to everything: each handler raises, Starlette's error middleware formats the traceback.

The CPU this costs sits in traceback/uvicorn/starlette internals; no action may name them.
"""

from fastapi import FastAPI

app = FastAPI()


def _broken() -> dict[str, str]:
    raise RuntimeError("database unavailable")


@app.get("/")
async def root() -> dict[str, str]:
    return _broken()


@app.get("/items")
async def items() -> dict[str, str]:
    return _broken()
