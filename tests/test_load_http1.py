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
