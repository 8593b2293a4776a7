"""Import parsers on real outputs (wrk 4.1, Locust 2.47, made here) and documented samples (oha, k6)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workeradvisor.errors import ConfigError
from workeradvisor.load.importers import import_file
from workeradvisor.load.importers.locust import classify

DATA = Path(__file__).parent / "data" / "load"


def test_wrk_text_ladder_becomes_stages() -> None:
    r = import_file(str(DATA / "wrk_ladder.txt"))
    assert r.source == "wrk"
    assert [s.ccu for s in r.stages] == [10, 50]
    first = r.stages[0]
    assert first.requests == 16315  # "16315 requests in 1.00s"
    assert first.latency_ms.p50 == pytest.approx(0.502)  # "50%  502.00us"
    assert first.latency_ms.p99 == pytest.approx(2.37)
    assert first.latency_ms.max == pytest.approx(11.77)
    assert first.bytes_received == int(2.21 * 1024**2)
    assert any("p95" in n for n in r.notes)


def test_wrk_lua_json_line_wins_over_text() -> None:
    r = import_file(str(DATA / "wrk_lua.txt"))
    s = r.stages[0]
    assert s.ccu == 20
    assert s.requests == 16014 and s.bytes_received == 2562240
    assert s.errors.http_5xx == 16014  # every answer was a 500: wrk's "status" errors
    assert s.latency_ms.p95 == pytest.approx(2.094) and s.latency_ms.p999 == pytest.approx(5.17)
    assert any("4xx" in n for n in r.notes)


def test_wrk_timeouts() -> None:
    s = import_file(str(DATA / "wrk_timeout.txt")).stages[0]
    assert s.errors.timeout == 4 and s.requests == 0


def test_locust_stats_and_failures() -> None:
    r = import_file(str(DATA / "locust_stats.csv"))
    s = r.stages[0]
    assert r.source == "locust"
    assert s.ccu == 10  # peak user count from the history file next to it
    assert s.errors.http_5xx == 3349 and s.errors.total == 3349  # LocustBadStatusCode(code=500)
    assert s.rps == pytest.approx(4145.42, abs=0.01)
    assert s.latency_ms.p99 == 3 and s.latency_ms.max == 34


def test_locust_history_is_a_ladder() -> None:
    r = import_file(str(DATA / "locust_stats_history.csv"))
    assert [s.ccu for s in r.stages] == [5, 10]
    five, ten = r.stages
    assert five.requests == 15276 and five.errors.http_5xx == 1523
    assert ten.requests == 33205 - 15276
    assert five.rps == pytest.approx(15276 / 4)


def test_locust_error_classes() -> None:
    assert classify("LocustBadStatusCode(code=503)") == "http_5xx"
    assert classify("HTTPError('404 Client Error: Not Found for url: /x')") == "http_4xx"
    assert classify("ConnectionRefusedError(111, 'Connection refused')") == "connect"
    assert classify("ReadTimeout('timed out')") == "timeout"
    assert classify("RemoteDisconnected('closed')") == "read"


def test_oha_documented_sample() -> None:
    r = import_file(str(DATA / "oha.json"), ccu=50)
    s = r.stages[0]
    assert r.source == "oha" and s.ccu == 50
    assert s.requests == 48950
    assert s.errors.http_4xx == 50 and s.errors.http_5xx == 150
    assert (s.errors.connect, s.errors.timeout, s.errors.read) == (5, 20, 25)
    assert s.latency_ms.p99 == pytest.approx(41.5) and s.latency_ms.p999 == pytest.approx(120.3)


def test_k6_documented_sample() -> None:
    r = import_file(str(DATA / "k6_summary.json"))
    s = r.stages[0]
    assert r.source == "k6" and s.ccu == 20
    assert s.requests == 180 and s.rps == pytest.approx(4.37, abs=0.01)
    assert s.latency_ms.p50 == pytest.approx(110.47) and s.latency_ms.p95 == pytest.approx(215.95)
    assert any("p(99)" in n for n in r.notes)


def test_unknown_and_broken_files_are_config_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot tell"):
        import_file(str(junk))
    broken = tmp_path / "oha.json"
    broken.write_text('{"latencyPercentiles": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid oha"):
        import_file(str(broken))
    with pytest.raises(ConfigError, match="cannot read"):
        import_file(str(tmp_path / "missing.json"))


def test_locust_without_failures_file_counts_failures_as_read(tmp_path: Path) -> None:
    shutil.copy(DATA / "locust_stats.csv", tmp_path / "x_stats.csv")
    s = import_file(str(tmp_path / "x_stats.csv")).stages[0]
    assert s.errors.read == 3349 and s.ccu is None
