"""A small ASGI app for the load tests: known delays, errors, a slow endpoint and a loop stall.

Plain ASGI (no framework) so the server's own overhead stays small and predictable.
"""

import asyncio
import time

_BODY = b'{"hello":"world"}'


async def _send(send, status: int, body: bytes = _BODY, chunked: bool = False) -> None:
    headers = [(b"content-type", b"application/json")]
    if not chunked:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if chunked:  # no content-length: uvicorn sends Transfer-Encoding: chunked
        for i in range(0, len(body), 7):
            await send({"type": "http.response.body", "body": body[i:i + 7], "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.body", "body": body})


def _query_ms(scope, default: int) -> int:
    query = dict(p.split("=", 1) for p in scope["query_string"].decode().split("&") if "=" in p)
    return int(query.get("ms", default))


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
    path = scope["path"]
    if path == "/delay50":
        await asyncio.sleep(0.05)
        await _send(send, 200)
    elif path == "/error500":
        await _send(send, 500, b'{"error":"boom"}')
    elif path == "/notfound":
        await _send(send, 404, b"{}")
    elif path == "/slow":  # longer than the tests' --timeout
        await asyncio.sleep(3.0)
        await _send(send, 200)
    elif path == "/stall":  # blocks the event loop: every other request queues behind it
        time.sleep(_query_ms(scope, 800) / 1000.0)
        await _send(send, 200)
    elif path == "/cpu":  # burns the loop's CPU for ?ms=N (default 2): the server, not the generator, is the limit
        _burn(_query_ms(scope, 2) / 1000.0)
        await _send(send, 200)
    elif path == "/chunked":
        await _send(send, 200, b"x" * 1000, chunked=True)
    elif path.startswith("/items/"):
        await _send(send, 200, path.encode())
    elif path == "/echo":
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        await _send(send, 200, body)
    else:
        await _send(send, 200)
