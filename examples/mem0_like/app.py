"""mem0-like memory service: async API awaiting embedding, vector store and LLM over HTTP, plus idle-burning telemetry.

The seed story in miniature. Each request makes real HTTP calls over loopback through ONE shared
``httpx.AsyncClient`` (created in the lifespan, keep-alive pool) to the simulated downstreams of
``downstream.py``. A telemetry thread started at import burns CPU with no traffic, as mem0's did;
``MEM0_TELEMETRY=False`` turns it off, as the story's fix did.

Finding the downstream without manual steps: with ``MEM0_DOWNSTREAM_URL`` unset, the app serves
``downstream.py`` itself, as a second uvicorn server on a free 127.0.0.1 port in a background thread
with its own event loop. Why this and not a mount under ``/_downstream``: a mount would put the
downstreams on the API's own event loop, so their work would look like request CPU and their
latency would stretch when the API's loop is busy; a separate server on its own loop keeps the
traffic real HTTP over loopback and the API loop's measurements honest, and needs no child process
(a child would look like a uvicorn worker to a profiler). With ``--workers N`` the workers share one
downstream (the first one to start hosts it, found through a lock file keyed by the supervisor's
PID), so the embedding service's capacity does not grow with the worker count, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import importlib
import json
import os
import socket
import tempfile
import threading
import time
import urllib.request
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

DOWNSTREAM_SIGNATURE = "mem0-like-downstream"
TELEMETRY_BUSY_S = 0.06  # per 100 ms: ~60% of one core at idle, like the seed's 53-67%
TELEMETRY_CYCLE_S = 0.1


def _telemetry_enabled() -> bool:
    return os.environ.get("MEM0_TELEMETRY", "True").strip().lower() not in {"false", "0", "no", "off"}


def _capture_events(counter: int) -> bytes:
    event = {"event": "mem0.search", "props": {f"k{i}": counter + i for i in range(150)}}
    return zlib.compress(json.dumps(event).encode())


def telemetry_loop() -> None:
    """Batches and compresses usage events in a busy poll loop, traffic or not (the seed's culprit)."""
    counter = 0
    while True:
        until = time.perf_counter() + TELEMETRY_BUSY_S
        while time.perf_counter() < until:
            counter += 1
            _capture_events(counter)
        time.sleep(TELEMETRY_CYCLE_S - TELEMETRY_BUSY_S)


if _telemetry_enabled():
    threading.Thread(target=telemetry_loop, name="mem0-telemetry", daemon=True).start()


class LocalDownstream:
    """downstream.py served by uvicorn in a daemon thread of this process, on its own event loop."""

    def __init__(self) -> None:
        module = importlib.import_module(f"{__package__}.downstream" if __package__ else "downstream")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(module.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="mem0-downstream", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> LocalDownstream:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("simulated downstream did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


def _answers(url: str) -> bool:
    """True when ``url`` is a live simulated downstream (not some other server that took its old port)."""
    with contextlib.suppress(OSError, ValueError):
        with urllib.request.urlopen(url + "/", timeout=1) as resp:
            return json.loads(resp.read()).get("service") == DOWNSTREAM_SIGNATURE
    return False


def _lock_path() -> Path:
    return Path(tempfile.gettempdir()) / f"mem0-like-downstream-{os.getppid()}.lock"


def acquire_downstream() -> tuple[str, LocalDownstream | None]:
    """Sync (run in a thread at startup): reuse the sibling workers' downstream, or host one."""
    if url := os.environ.get("MEM0_DOWNSTREAM_URL"):
        return url.rstrip("/"), None
    lock_path = _lock_path()
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        known = fh.read().strip()
        if known and _answers(known):
            return known, None
        local = LocalDownstream().start()
        fh.seek(0)
        fh.truncate()
        fh.write(local.url)
        fh.flush()
        return local.url, local


def release_downstream(local: LocalDownstream | None) -> None:
    if local is not None:
        local.stop()
        with contextlib.suppress(OSError):
            _lock_path().unlink()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url, local = await asyncio.to_thread(acquire_downstream)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        app.state.http = client
        try:
            yield
        finally:
            await asyncio.to_thread(release_downstream, local)


app = FastAPI(title="mem0-like", lifespan=lifespan)


class MemoryIn(BaseModel):
    text: str
    user_id: str = "demo"


async def embed(client: httpx.AsyncClient, texts: list[str]) -> list[list[float]]:
    resp = await client.post("/embed", json={"input": texts})
    resp.raise_for_status()
    return resp.json()["data"]


async def vector_search(client: httpx.AsyncClient, vector: list[float], user_id: str) -> list[dict[str, object]]:
    resp = await client.post("/vectors/search", json={"vector": vector, "user_id": user_id, "limit": 5})
    resp.raise_for_status()
    return resp.json()["hits"]


async def llm(client: httpx.AsyncClient, prompt: str) -> str:
    resp = await client.post("/chat/completions", json={"messages": [{"role": "user", "content": prompt}]})
    resp.raise_for_status()
    return resp.json()["choices"][0]["message"]["content"]


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/memories")
async def add_memory(body: MemoryIn) -> dict[str, object]:
    """mem0's add: the LLM extracts facts, they are embedded, then upserted in the vector store."""
    client: httpx.AsyncClient = app.state.http
    fact = await llm(client, f"Extract facts: {body.text}")
    vectors = await embed(client, [fact])
    resp = await client.post("/vectors/upsert", json={"vectors": vectors, "texts": [fact], "user_id": body.user_id})
    resp.raise_for_status()
    return {"stored": resp.json()["upserted"], "fact": fact}


@app.get("/memories/search")
async def search_memories(q: str = "what does the user like?", user_id: str = "demo") -> dict[str, object]:
    """mem0's search: embed the query, then a vector search. No body, so it suits load tests."""
    client: httpx.AsyncClient = app.state.http
    vectors = await embed(client, [q])
    return {"results": await vector_search(client, vectors[0], user_id)}


@app.get("/chat")
async def chat(q: str = "what should I cook tonight?", user_id: str = "demo") -> dict[str, object]:
    """A memory-augmented answer: embed, vector search, then the LLM. No body, so it suits load tests."""
    client: httpx.AsyncClient = app.state.http
    vectors = await embed(client, [q])
    hits = await vector_search(client, vectors[0], user_id)
    context = "; ".join(str(h["text"]) for h in hits)
    return {"answer": await llm(client, f"{context}\n\n{q}"), "memories": len(hits)}
