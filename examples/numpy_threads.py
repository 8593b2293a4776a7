"""numpy matrix work per request: each worker's BLAS (OpenBLAS in numpy's wheels) runs its own thread pool.

Run it with several workers and ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` left at the default (one
thread per core) or set above ``cores / workers``, and the workers' BLAS threads oversubscribe the
cores; ``workeradvisor analyze`` names it (``limit-native-threads``), ``check`` flags the setting
(WA530/WA531). See docs/threads.md.
"""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI

app = FastAPI(title="numpy-threads")

# Large enough that OpenBLAS splits each product across its threads (small products run on one
# thread), small enough for a request of a few tens of milliseconds on a 2-core VM.
SIZE = 384
PRODUCTS = 4
_rng = np.random.default_rng(15)
A = _rng.standard_normal((SIZE, SIZE))
B = _rng.standard_normal((SIZE, SIZE))


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/similarity")
async def similarity() -> dict[str, float]:
    """A fixed amount of BLAS work: ``PRODUCTS`` matrix products (numpy releases the GIL inside BLAS)."""
    m = A
    for _ in range(PRODUCTS):
        m = np.tanh(m @ B / SIZE)
    return {"trace": float(np.trace(m))}
