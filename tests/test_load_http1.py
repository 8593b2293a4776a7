"""The engine's HTTP/1.1 response parser, fed byte by byte and in odd splits."""

from __future__ import annotations

import pytest

from workeradvisor.load.http1 import Connection


class Owner:
    def __init__(self) -> None:
        self.bytes_received = 0
        self.responses: list[int] = []
        self.closed: list[str | None] = []

    def on_response(self, conn: Connection, status: int) -> None:
        self.responses.append(status)

    def on_closed(self, conn: Connection, error: str | None) -> None:
        self.closed.append(error)


class Transport:
    def __init__(self) -> None:
        self.aborted = False

    def write(self, data: bytes) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True


def _conn() -> tuple[Connection, Owner, Transport]:
    owner, tr = Owner(), Transport()
    conn = Connection(owner)
    conn.connection_made(tr)  # type: ignore[arg-type]
    return conn, owner, tr


def _feed(conn: Connection, data: bytes, step: int) -> None:
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)
    for i in range(0, len(data), step):
        conn.data_received(data[i:i + step])


CHUNKED = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize("raw, status", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200),
    (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", 503),
    (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204),
    (CHUNKED, 200),
    (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 200),
])
def test_one_response_in_any_split(raw: bytes, status: int, step: int) -> None:
    conn, owner, tr = _conn()
    _feed(conn, raw, step)
    assert owner.responses == [status]
    assert not tr.aborted and not conn.busy
    assert owner.bytes_received == len(raw)


def test_keep_alive_two_responses_in_one_packet() -> None:
    conn, owner, _ = _conn()
    one = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def again(c: Connection, status: int) -> None:
        owner.responses.append(status)
        if len(owner.responses) == 1:
            c.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)

    owner.on_response = again  # type: ignore[method-assign]
    _feed(conn, one + one, 1000)
    assert owner.responses == [200, 200]


def test_connection_close_and_body_until_close() -> None:
    conn, owner, _ = _conn()
    _feed(conn, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 1000)
    assert owner.responses == [200] and conn.close_after
    conn2, owner2, _ = _conn()
    _feed(conn2, b"HTTP/1.0 200 OK\r\n\r\nbody until close", 4)
    assert owner2.responses == []
    conn2.connection_lost(None)
    assert owner2.responses == [200] and owner2.closed == [None]


def test_closed_mid_response_is_a_read_error() -> None:
    conn, owner, _ = _conn()
    _feed(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1000)
    conn.connection_lost(ConnectionResetError())
    assert owner.responses == [] and owner.closed == ["read"]


@pytest.mark.parametrize("garbage", [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n",
                                     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
def test_malformed_answers_abort_the_connection(garbage: bytes) -> None:
    conn, owner, tr = _conn()
    _feed(conn, garbage, 1000)
    assert tr.aborted and owner.responses == []


# --- limits (issue 12): every line and the body are capped, nothing is re-copied per read ---------------
from workeradvisor.load import http1  # noqa: E402


def _start(head: bytes) -> tuple[Connection, Owner, Transport]:
    conn, owner, tr = _conn()
    _feed(conn, head, 100_000)
    return conn, owner, tr


@pytest.mark.parametrize("value", [b"-5", b"+5", b"0x5", b"5, 6", b"", b"abc", b"1e3", b"99999999999999999999999"])
def test_bad_content_length_is_a_read_error(value: bytes) -> None:
    conn, owner, tr = _start(b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\nhello")
    assert tr.aborted and owner.responses == []
    conn.connection_lost(None)
    assert owner.closed == ["read"]


def test_conflicting_content_lengths_are_a_read_error() -> None:
    _, owner, tr = _start(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
    assert tr.aborted and owner.responses == []


@pytest.mark.parametrize("prefix, filler, limit", [
    (b"", b"H", http1.MAX_STATUS_LINE),  # endless status line
    (b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n", http1.MAX_HEAD),  # endless headers
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1", http1.MAX_CHUNK_LINE),  # endless chunk size
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b";e=x", http1.MAX_CHUNK_LINE),  # endless extension
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", b"T: x\r\n", http1.MAX_TRAILER),
])
def test_every_line_is_capped_and_the_buffer_stays_bounded(prefix: bytes, filler: bytes, limit: int) -> None:
    conn, owner, tr = _conn()
    conn.send(b"GET / HTTP/1.1\r\n\r\n", 0.0, 0.0)
    conn.data_received(prefix)
    piece = filler * (4096 // len(filler))
    peak = 0
    for _ in range(4 * http1.MAX_HEAD // len(piece)):  # 4x the largest cap
        conn.data_received(piece)
        peak = max(peak, len(conn.buf))
        if tr.aborted:
            break
    assert tr.aborted, "the server's endless line was buffered without limit"
    assert peak <= limit + len(prefix) + len(piece)
    assert owner.responses == [] and len(conn.buf) == 0


def test_a_trickled_head_is_linear_not_quadratic() -> None:
    """60 KB of headers one byte per read: each read appends and resumes the search; no re-copy."""
    import time

    head = b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 60_000 + b"\r\nContent-Length: 0\r\n\r\n"
    conn, owner, _ = _conn()
    t0 = time.perf_counter()
    _feed(conn, head, 1)
    elapsed = time.perf_counter() - t0
    assert owner.responses == [200]
    assert elapsed < 1.0, f"{elapsed:.2f}s for 60 KB fed bytewise: quadratic re-copying (was ~1.8 s, now ~0.1 s)"


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (http1.MAX_BODY + 1),
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (http1.MAX_BODY + 1),
])
def test_a_body_over_the_cap_is_a_read_error(raw: bytes) -> None:
    _, owner, tr = _start(raw)
    assert tr.aborted and owner.responses == []


def test_a_body_until_close_is_capped_too() -> None:
    conn, owner, tr = _start(b"HTTP/1.0 200 OK\r\n\r\n")
    piece = b"x" * (1 << 20)
    for _ in range(http1.MAX_BODY // len(piece) + 2):
        conn.data_received(piece)
        if tr.aborted:
            break
    assert tr.aborted
    conn.connection_lost(None)
    assert owner.responses == [] and owner.closed == ["read"]


def test_bytes_after_a_protocol_error_are_ignored() -> None:
    conn, owner, tr = _start(b"HTTP/1.1 2x0 OK\r\n\r\n")
    assert tr.aborted
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert owner.responses == []
