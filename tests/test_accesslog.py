"""Traffic from an access log: the three formats, weights, rate, and what is skipped."""

from __future__ import annotations

import pytest

from workeradvisor.errors import ConfigError
from workeradvisor.load.accesslog import build_mix, parse_line

UVICORN = 'INFO:     127.0.0.1:51234 - "GET /orders?limit=5 HTTP/1.1" 200 OK'
COMBINED = ('203.0.113.9 - - [02/Dec/2026:10:00:01 +0000] "POST /orders HTTP/1.1" 201 512 "-" "curl/8.5"')
JSONL = '{"time": "2026-12-02T10:00:03Z", "method": "get", "path": "/customers/7", "status": 200}'


def test_each_format_parses() -> None:
    assert parse_line(UVICORN).path == "/orders?limit=5"
    combined = parse_line(COMBINED)
    assert (combined.method, combined.status) == ("POST", 201) and combined.time is not None
    assert parse_line(JSONL).method == "GET" and parse_line(JSONL).time is not None
    assert parse_line("Traceback (most recent call last):") is None


def test_weights_rate_and_skips() -> None:
    lines = [f'1.2.3.4 - - [02/Dec/2026:10:00:{s:02d} +0000] "GET /a HTTP/1.1" 200 1 "-" "x"' for s in range(10)]
    lines += [f'1.2.3.4 - - [02/Dec/2026:10:00:{s:02d} +0000] "POST /b HTTP/1.1" 201 1 "-" "x"' for s in range(5)]
    lines += ['1.2.3.4 - - [02/Dec/2026:10:00:09 +0000] "GET /down HTTP/1.1" 503 1 "-" "x"', "garbage", ""]
    mix = build_mix(lines)
    weights = {t.name: t.weight for t in mix.requests}
    assert weights == {"GET /a": 10.0, "POST /b": 5.0}
    assert (mix.lines, mix.skipped) == (17, 2)
    assert mix.rate_per_s == pytest.approx(15 / 9)
    assert mix.without_body == ("POST /b",)
    with_body = build_mix(lines, body='{"x": 1}')
    post = next(t for t in with_body.requests if t.method == "POST")
    assert post.body == '{"x": 1}' and ("Content-Type", "application/json") in post.headers


def test_uvicorn_lines_have_no_rate_and_nothing_matching_is_an_error() -> None:
    assert build_mix([UVICORN] * 3).rate_per_s is None
    with pytest.raises(ConfigError, match="none of 2 line"):
        build_mix(["hello", "world"])
