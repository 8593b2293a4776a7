"""Hypothesis fuzz of the load generator's HTTP/1.1 response parser (in-process, bounded, fast).

Whatever a server sends, in whatever splits: ``data_received`` never raises, the connection either
completes responses or is aborted (a documented ``read`` error), and it never buffers more than
the documented caps plus one read.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workeradvisor.load import http1
from workeradvisor.load.http1 import Connection


class Owner:
    def __init__(self) -> None:
        self.bytes_received = 0
        self.responses: list[int] = []
        self.closed: list[str | None] = []

    def on_response(self, conn: Connection, status: int) -> None:
        self.responses.append(status)
        if len(self.responses) < 50:
            conn.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)  # keep-alive: the next answer may follow

    def on_closed(self, conn: Connection, error: str | None) -> None:
        self.closed.append(error)


class Transport:
    aborted = False

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True

_PIECES = [
    b"HTTP/1.1 ", b"HTTP/1.0 ", b"200 OK", b"100 Continue", b"204 No Content", b"503 x", b"2x0", b"\r\n",
    b"\r\n\r\n", b"Content-Length: ", b"Transfer-Encoding: chunked", b"Connection: close", b"-5", b"0", b"5",
    b"hello", b"ffffffffffffffff", b";ext=1", b"X-A: b", b":", b" ", b"\x00", b"\xff",
]
_chunk = st.one_of(st.sampled_from(_PIECES), st.binary(max_size=64))
_stream = st.lists(_chunk, max_size=40).map(b"".join)


def _run(data: bytes, cuts: list[int]) -> tuple[Connection, Owner, Transport, int]:
    owner, tr = Owner(), Transport()
    conn = Connection(owner)
    conn.connection_made(tr)  # type: ignore[arg-type]
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)
    peak = 0
    edges = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for a, b in zip(edges, edges[1:], strict=False):
        conn.data_received(data[a:b])  # must never raise
        peak = max(peak, len(conn.buf))
    conn.connection_lost(None)
    return conn, owner, tr, peak


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_stream, st.lists(st.integers(min_value=0, max_value=10_000), max_size=8))
def test_any_bytes_in_any_split_end_in_documented_outcomes(data: bytes, cuts: list[int]) -> None:
    conn, owner, tr, peak = _run(data, cuts)
    assert all(100 <= s <= 999 for s in owner.responses)
    assert len(owner.closed) == 1 and owner.closed[0] in (None, "read")
    assert peak <= len(data)  # nothing is invented or duplicated


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([b"H", b"X: y\r\n", b"1", b";e", b"T: x\r\n"]), st.integers(min_value=1, max_value=9000))
def test_endless_lines_stay_bounded(filler: bytes, read_size: int) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    prefixes = {b"H": b"", b"X: y\r\n": b"HTTP/1.1 200 OK\r\n", b"1": chunked, b";e": chunked + b"1",
                b"T: x\r\n": chunked + b"0\r\n"}
    owner, tr = Owner(), Transport()
    conn = Connection(owner)
    conn.connection_made(tr)  # type: ignore[arg-type]
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)
    conn.data_received(prefixes[filler])
    piece = (filler * (read_size // len(filler) + 1))[:read_size]
    sent = 0
    while not tr.aborted and sent < 2 * http1.MAX_HEAD + 2 * read_size:
        conn.data_received(piece)
        sent += len(piece)
        assert len(conn.buf) <= http1.MAX_HEAD + read_size + 64
    assert tr.aborted and owner.responses == []
