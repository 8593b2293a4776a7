"""A plain ASGI app whose one dependency (``six``) lives only in its own venv, not workeradvisor's.

The --python test builds that venv; workeradvisor's own interpreter cannot import this module.
"""

from __future__ import annotations

from typing import Any

import six

BODY = f"six {six.__version__}".encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": BODY})
