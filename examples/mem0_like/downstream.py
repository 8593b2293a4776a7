"""Simulated downstreams for the mem0-like app: embedding service, vector store and LLM, with realistic latencies.

Run it alone (``uvicorn downstream:app --port 9000``) and point the app at it with
``MEM0_DOWNSTREAM_URL=http://127.0.0.1:9000``, or let ``app.py`` start it in-process.

The embedding service has a finite capacity (``EMBED_SLOTS`` concurrent batches), like the seed's
jina embedding container: past that, requests queue and its latency grows with load while the
memory API itself sits mostly idle awaiting it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="mem0-like downstream")

EMBED_LATENCY_S = (0.03, 0.06)
VECTOR_LATENCY_S = (0.005, 0.015)
LLM_LATENCY_S = (0.1, 0.3)
EMBED_SLOTS = int(os.environ.get("MEM0_EMBED_SLOTS", "2"))
DIMS = 16

_jitter = random.Random(7)
_embed_slots: asyncio.Semaphore | None = None  # created lazily: it must belong to this server's loop


class EmbedRequest(BaseModel):
    input: list[str]


class SearchRequest(BaseModel):
    vector: list[float]
    user_id: str = "demo"
    limit: int = 5


class UpsertRequest(BaseModel):
    vectors: list[list[float]]
    texts: list[str]
    user_id: str = "demo"


class ChatRequest(BaseModel):
    messages: list[dict[str, str]]


def _vector(text: str) -> list[float]:
    digest = hashlib.blake2b(text.encode(), digest_size=DIMS).digest()
    return [b / 255 for b in digest]


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok", "service": "mem0-like-downstream"}  # app.py checks this signature


@app.post("/embed")
async def embed(req: EmbedRequest) -> dict[str, list[list[float]]]:
    global _embed_slots
    if _embed_slots is None:
        _embed_slots = asyncio.Semaphore(EMBED_SLOTS)
    async with _embed_slots:
        await asyncio.sleep(_jitter.uniform(*EMBED_LATENCY_S))
    return {"data": [_vector(t) for t in req.input]}


@app.post("/vectors/search")
async def search(req: SearchRequest) -> dict[str, list[dict[str, object]]]:
    await asyncio.sleep(_jitter.uniform(*VECTOR_LATENCY_S))
    return {"hits": [{"id": f"{req.user_id}-{i}", "score": 0.9 - i / 10, "text": f"memory {i}"}
                     for i in range(min(req.limit, 5))]}


@app.post("/vectors/upsert")
async def upsert(req: UpsertRequest) -> dict[str, int]:
    await asyncio.sleep(_jitter.uniform(*VECTOR_LATENCY_S))
    return {"upserted": len(req.vectors)}


@app.post("/chat/completions")
async def chat(req: ChatRequest) -> dict[str, object]:
    await asyncio.sleep(_jitter.uniform(*LLM_LATENCY_S))
    last = req.messages[-1]["content"] if req.messages else ""
    return {"choices": [{"message": {"role": "assistant", "content": f"fact: {last[:60]}"}}]}
