"""A minimal HTTP/1.1 client connection on ``asyncio.Protocol``: the load generator's hot path.

Why not httpx or asyncio streams: on this project's 2-core box one shared ``httpx.AsyncClient``
reached 5% of wrk's RPS and raw streams 66%; the generator would have measured itself. A
Protocol gets bytes in a callback with no coroutine or future per request, and the parser only
does what a load generator needs: the status code, Content-Length, chunked bodies, keep-alive
and ``Connection: close``. One connection carries one request at a time (no pipelining).
"""

from __future__ import annotations

import asyncio
from typing import Protocol

_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_CLOSE = range(6)
MAX_HEAD = 64 * 1024


class Owner(Protocol):
    """What a connection reports to (the generator)."""

    bytes_received: int

    def on_response(self, conn: Connection, status: int) -> None: ...

    def on_closed(self, conn: Connection, error: str | None) -> None: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection of one virtual user."""

    __slots__ = ("owner", "transport", "buf", "state", "remaining", "status", "close_after",
                 "busy", "sent_at", "intended", "closed")

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.state = _HEAD
        self.remaining = 0
        self.status = 0
        self.close_after = False
        self.busy = False  # a request is in flight
        self.sent_at = 0.0  # when the bytes were written (timeouts count from here)
        self.intended = 0.0  # when the request should have been sent (latency counts from here)
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, intended: float, now: float) -> None:
        self.intended = intended
        self.sent_at = now
        self.busy = True
        self.state = _HEAD
        self.transport.write(data)  # type: ignore[union-attr]

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.state == _UNTIL_CLOSE and self.busy and exc is None:
            self._complete()
        error = "read" if self.busy else None
        self.busy = False
        self.owner.on_closed(self, error)

    def data_received(self, data: bytes) -> None:
        self.owner.bytes_received += len(data)
        if self.buf:
            data = self.buf + data
            self.buf = b""
        try:
            self._feed(data)
        except (ValueError, IndexError):
            self._protocol_error()

    def _protocol_error(self) -> None:
        # A malformed response: the request failed as a read error and the connection is unusable.
        self.buf = b""
        if self.transport is not None:
            self.transport.abort()

    def _feed(self, data: bytes) -> None:
        while data:
            state = self.state
            if not self.busy:  # bytes nobody asked for (or after a timeout): drop the connection
                self._protocol_error()
                return
            if state == _HEAD:
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    if len(data) > MAX_HEAD:
                        raise ValueError("response head too large")
                    self.buf = data
                    return
                head = data[:end].lower()
                data = data[end + 4:]
                self._parse_head(head)
            elif state == _BODY:
                n = self.remaining
                if len(data) < n:
                    self.remaining = n - len(data)
                    return
                data = data[n:]
                self._complete()
            elif state == _CHUNK_SIZE:
                eol = data.find(b"\r\n")
                if eol < 0:
                    self.buf = data
                    return
                size = int(data[:eol].split(b";", 1)[0], 16)
                data = data[eol + 2:]
                if size == 0:
                    self.state = _TRAILER
                else:
                    self.remaining = size + 2  # chunk data plus its CRLF
                    self.state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                n = self.remaining
                if len(data) < n:
                    self.remaining = n - len(data)
                    return
                data = data[n:]
                self.state = _CHUNK_SIZE
            elif state == _TRAILER:
                if data.startswith(b"\r\n"):
                    data = data[2:]
                    self._complete()
                    continue
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    self.buf = data
                    return
                data = data[end + 4:]
                self._complete()
            else:  # _UNTIL_CLOSE: the body ends when the server closes
                return

    def _parse_head(self, head: bytes) -> None:
        if not head.startswith(b"http/1."):
            raise ValueError("not an HTTP/1.x response")
        status = int(head[9:12])
        if 100 <= status < 200:  # interim response: the real one follows
            return
        self.status = status
        self.close_after = b"\r\nconnection: close" in head or head.startswith(b"http/1.0")
        i = head.find(b"\r\ncontent-length:")
        if i >= 0:
            j = head.find(b"\r\n", i + 17)
            self.remaining = int(head[i + 17:j if j >= 0 else None])
            self.state = _BODY
            if self.remaining == 0:
                self._complete()
        elif status in (204, 304):
            self._complete()
        elif b"\r\ntransfer-encoding:" in head and b"chunked" in head:
            self.state = _CHUNK_SIZE
        else:
            self.state = _UNTIL_CLOSE
            self.close_after = True

    def _complete(self) -> None:
        self.state = _HEAD
        self.busy = False
        self.owner.on_response(self, self.status)
