"""An app that builds a sizeable structure at import, for the per-worker memory tests.

``BLOB`` is 64 MiB of bytes written at import (``b"Z" * n`` touches every page, so it is resident;
a zero-filled ``bytes(n)`` could stay unbacked). A bytes object's buffer is never written after
it is built (no references live inside it), so under gunicorn ``--preload`` its pages stay shared
copy-on-write between the master and the workers; without ``--preload`` each worker imports the
module itself and holds its own copy (its USS). ``/cpu?ms=N`` burns the loop's CPU so a short
ladder measures the server, not the load generator.
"""

import time

BLOB_MIB = 64
BLOB = b"Z" * (BLOB_MIB << 20)


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
    _burn(int(query.get("ms", "2")) / 1000.0)
    body = b'{"blob_bytes": %d}' % len(BLOB)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
