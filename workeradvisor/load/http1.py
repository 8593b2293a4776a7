"""A minimal HTTP/1.1 client connection on ``asyncio.Protocol``: the load generator's hot path.

Why not httpx or asyncio streams: on this project's 2-core box one shared ``httpx.AsyncClient``
reached 5% of wrk's RPS and raw streams 66%; the generator would have measured itself. A
Protocol gets bytes in a callback with no coroutine or future per request, and the parser only
does what a load generator needs: the status code, Content-Length, chunked bodies, keep-alive
and ``Connection: close``. One connection carries one request at a time (no pipelining).
"""

from __future__ import annotations

import asyncio
import re
from typing import Protocol

_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_CLOSE = range(6)

# Limits (documented in docs/load.md): anything beyond them is a malformed answer, counted as a
# ``read`` error, and the connection is dropped. Only an unfinished line or head is ever buffered,
# so a connection holds at most about MAX_HEAD + one read's bytes whatever the server sends.
MAX_STATUS_LINE = 8 * 1024  # "HTTP/1.1 200 OK"
MAX_HEAD = 64 * 1024  # status line plus all header lines
MAX_CHUNK_LINE = 4 * 1024  # chunk size plus chunk extensions
MAX_TRAILER = 16 * 1024  # all trailer lines after the last chunk
MAX_BODY = 64 * 1024 * 1024  # one response's body (Content-Length, sum of chunks, or until close)

_HEX = re.compile(rb"[0-9a-fA-F]{1,16}")
_STATUS = re.compile(rb"[Hh][Tt][Tt][Pp]/1\.([01]) ([0-9]{3})(?:[ \t][^\r\n]*)?(?:\r\n|$)")


class ProtocolError(ValueError):
    """A response this parser refuses: malformed, or beyond one of the limits above."""


class Owner(Protocol):
    """What a connection reports to (the generator)."""

    bytes_received: int

    def on_response(self, conn: Connection, status: int) -> None: ...

    def on_closed(self, conn: Connection, error: str | None) -> None: ...


class Connection(asyncio.Protocol):
    """One keep-alive connection of one virtual user."""

    __slots__ = ("owner", "transport", "buf", "scan", "state", "remaining", "body", "status", "close_after",
                 "busy", "sent_at", "intended", "closed", "failed")

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()  # an unfinished head or line, and nothing else
        self.scan = 0  # where in ``buf`` the search for its terminator resumes (no re-scanning)
        self.state = _HEAD
        self.remaining = 0
        self.body = 0  # body bytes of the current response so far (capped at MAX_BODY)
        self.status = 0
        self.close_after = False
        self.busy = False  # a request is in flight
        self.sent_at = 0.0  # when the bytes were written (timeouts count from here)
        self.intended = 0.0  # when the request should have been sent (latency counts from here)
        self.closed = False
        self.failed = False  # a protocol error: every later byte is ignored until the connection is gone

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, intended: float, now: float) -> None:
        self.intended = intended
        self.sent_at = now
        self.busy = True
        self.state = _HEAD
        self.body = 0
        self.transport.write(data)  # type: ignore[union-attr]

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.state == _UNTIL_CLOSE and self.busy and exc is None and not self.failed:
            self._complete()
        error = "read" if self.busy else None
        self.busy = False
        self.owner.on_closed(self, error)

    def data_received(self, data: bytes) -> None:
        self.owner.bytes_received += len(data)
        if self.failed:
            return
        view: bytes | bytearray = data
        if self.buf:  # an unfinished head or line waits: append (amortised O(1)), resume its search
            self.buf += data
            view = self.buf
        try:
            self._feed(view)
        except (ValueError, IndexError):
            self._protocol_error()

    def _protocol_error(self) -> None:
        # A malformed response: the request failed as a read error and the connection is unusable.
        self.failed = True
        self.buf = bytearray()
        if self.transport is not None:
            self.transport.abort()

    def _keep(self, data: bytes | bytearray, pos: int, sep_len: int) -> None:
        """Buffer the unfinished element ``data[pos:]``; its terminator search resumes near the end."""
        if data is self.buf:
            if pos:
                del self.buf[:pos]
        else:
            self.buf = bytearray(data[pos:])
        self.scan = max(0, len(self.buf) - sep_len + 1)

    def _find(self, data: bytes | bytearray, sep: bytes, pos: int) -> int:
        start = max(pos, self.scan) if data is self.buf else pos
        self.scan = 0
        return data.find(sep, start)

    def _feed(self, data: bytes | bytearray) -> None:
        pos, end = 0, len(data)
        while pos < end:
            state = self.state
            if not self.busy:  # bytes nobody asked for (or after a timeout): drop the connection
                self._protocol_error()
                return
            if state == _HEAD:
                stop = data.find(b"\r\n\r\n", pos) if data is not self.buf else self._find(data, b"\r\n\r\n", pos)
                if stop < 0:
                    if end - pos > MAX_HEAD:
                        raise ProtocolError("response head too large")
                    if end - pos > MAX_STATUS_LINE and data.find(b"\r\n", pos, pos + MAX_STATUS_LINE) < 0:
                        raise ProtocolError("status line too long")
                    return self._keep(data, pos, 4)
                if stop - pos > MAX_HEAD:
                    raise ProtocolError("response head too large")
                head = bytes(data[pos:stop])
                pos = stop + 4
                self._parse_head(head)
            elif state == _BODY or state == _CHUNK_DATA:
                n = self.remaining
                if end - pos < n:
                    self.remaining = n - (end - pos)
                    break
                pos += n
                if state == _BODY:
                    self._complete()
                elif data[pos - 2:pos] != b"\r\n" and n >= 2:
                    raise ProtocolError("chunk data not followed by CRLF")
                else:
                    self.state = _CHUNK_SIZE
            elif state == _CHUNK_SIZE:
                eol = self._find(data, b"\r\n", pos)
                if eol < 0:
                    if end - pos > MAX_CHUNK_LINE:
                        raise ProtocolError("chunk-size line too long")
                    return self._keep(data, pos, 2)
                if eol - pos > MAX_CHUNK_LINE:
                    raise ProtocolError("chunk-size line too long")
                size = _chunk_size(bytes(data[pos:eol]))
                pos = eol + 2
                self._count_body(size)
                if size == 0:
                    self.state = _TRAILER
                else:
                    self.remaining = size + 2  # chunk data plus its CRLF
                    self.state = _CHUNK_DATA
            elif state == _TRAILER:
                if data[pos:pos + 2] == b"\r\n":
                    pos += 2
                    self._complete()
                    continue
                stop = self._find(data, b"\r\n\r\n", pos)
                if stop < 0:
                    if end - pos > MAX_TRAILER:
                        raise ProtocolError("trailer too large")
                    return self._keep(data, pos, 4)
                if stop - pos > MAX_TRAILER:
                    raise ProtocolError("trailer too large")
                pos = stop + 4
                self._complete()
            else:  # _UNTIL_CLOSE: the body ends when the server closes
                self._count_body(end - pos)
                break
        if data is self.buf:
            self.buf = bytearray()
        self.scan = 0

    def _count_body(self, n: int) -> None:
        self.body += n
        if self.body > MAX_BODY:
            raise ProtocolError("response body too large")

    def _parse_head(self, head: bytes) -> None:
        m = _STATUS.match(head)
        if m is None:
            raise ProtocolError("not an HTTP/1.x status line")
        e = m.end()
        if e > MAX_STATUS_LINE:
            raise ProtocolError("status line too long")
        status = int(m.group(2))
        if 100 <= status < 200:  # interim response: the real one follows
            return
        self.status = status
        self.body = 0
        # One lower-cased copy and a few finds: this runs once per response on the hot path.
        fields = head[e - 2:].lower() if head[e - 2:e] == b"\r\n" else b""
        i = fields.find(b"\r\ncontent-length:")
        length = None if i < 0 else _content_length(fields, i)
        te = fields.find(b"\r\ntransfer-encoding:")
        close = m.group(1) == b"0"
        if not close:
            c = fields.find(b"\r\nconnection:")
            close = c >= 0 and b"close" in _value(fields, c + 13)
        self.close_after = close
        if te >= 0 and _value(fields, te + 20).rstrip().endswith(b"chunked"):  # RFC 9112 6.3: overrides C-L
            self.state = _CHUNK_SIZE
        elif length is not None:
            self._count_body(length)
            self.remaining = length
            self.state = _BODY
            if length == 0:
                self._complete()
        elif status in (204, 304):
            self._complete()
        else:
            self.state = _UNTIL_CLOSE
            self.close_after = True

    def _complete(self) -> None:
        self.state = _HEAD
        self.busy = False
        self.owner.on_response(self, self.status)


def _value(fields: bytes, start: int) -> bytes:
    end = fields.find(b"\r\n", start)
    return fields[start:end if end >= 0 else None]


def _content_length(fields: bytes, i: int) -> int:
    """Content-Length at ``fields[i:]``: digits only (``-5``, ``+5``, ``0x5``, ``5, 6`` are
    malformed), and any further Content-Length header must say the same."""
    text = _value(fields, i + 17).strip()
    if not text.isdigit() or len(text) > 19:
        raise ProtocolError("bad Content-Length")
    while (i := fields.find(b"\r\ncontent-length:", i + 17)) >= 0:
        if _value(fields, i + 17).strip() != text:
            raise ProtocolError("conflicting Content-Length headers")
    return int(text)


def _chunk_size(line: bytes) -> int:
    text = line.split(b";", 1)[0].strip(b" \t")
    if not _HEX.fullmatch(text):
        raise ProtocolError("bad chunk size")
    return int(text, 16)
