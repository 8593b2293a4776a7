"""The load engine against real uvicorn on 127.0.0.1: latency, error classes, open loop, knee."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from workeradvisor.launch import RunningServer, free_port
from workeradvisor.load import build_plan, run_ladder, run_stage

pytestmark = pytest.mark.live  # every test here starts processes


def test_fixed_delay_p50_is_the_delay(server: RunningServer) -> None:
    stage = run_stage(build_plan(server.base_url + "/delay50"), ccu=8, duration_s=1.5, warmup_s=0.3)
    assert stage.errors.total == 0
    assert stage.requests > 100
    assert 49.0 <= stage.latency_ms.p50 <= 56.0
    assert stage.latency_ms.p99 < 80.0
    # 8 users, 50 ms each: about 160 req/s
    assert 120 < stage.rps < 165


def test_http_errors_are_classified_and_bodies_parsed(server: RunningServer) -> None:
    plan = build_plan(server.base_url, paths=("/error500", "/notfound", "/chunked"))
    stage = run_stage(plan, ccu=3, duration_s=1.0, server_pid=server.pid)
    e = stage.errors
    assert e.http_5xx > 0 and e.http_4xx > 0
    assert e.connect == e.timeout == e.read == 0
    assert stage.requests > e.http_5xx + e.http_4xx  # the chunked 200s completed too
    assert stage.bytes_received > 1000 * (stage.requests - e.total) * 0.9
    assert stage.server is not None and stage.server.total_rss_bytes > 0


def test_closed_port_counts_connect_errors() -> None:
    stage = run_stage(build_plan(f"http://127.0.0.1:{free_port()}/"), ccu=2, duration_s=0.5)
    assert stage.errors.connect > 0
    assert stage.requests == 0 and stage.errors.total == stage.errors.connect


def test_slow_endpoint_past_timeout_counts_timeouts(server: RunningServer) -> None:
    stage = run_stage(build_plan(server.base_url + "/slow"), ccu=2, duration_s=1.2, timeout_s=0.4)
    assert stage.errors.timeout >= 2
    assert stage.requests == 0
    assert stage.errors.total == stage.errors.timeout


def test_open_loop_reports_queueing_when_the_server_stalls(server: RunningServer) -> None:
    """A 0.8 s loop stall in a 3 s window at 200 req/s: ~160 requests were due during the stall.

    Measured from their intended send time they wait up to 0.8 s, so p90 is far above the
    sub-millisecond service time. A coordinated-omission generator would record one slow sample.
    """
    plan = build_plan(server.base_url + "/")
    timer = threading.Timer(1.0, lambda: httpx.get(server.base_url + "/stall?ms=800", timeout=5))
    timer.start()
    stage = run_stage(plan, rate=200, duration_s=3.0)
    timer.join()
    assert stage.errors.total == 0
    assert 560 <= stage.requests <= 610
    assert stage.latency_ms.p50 < 20
    assert stage.latency_ms.p90 > 250
    assert stage.latency_ms.max > 600


def test_ladder_stops_at_the_knee(server: RunningServer) -> None:
    """Each request blocks the loop 10 ms, so p99 grows with users: ~10, ~20, ~320 ms.

    The threshold sits far from both sides so a busy CI box cannot move a stage across it.
    """
    plan = build_plan(server.base_url + "/stall?ms=10")
    result = run_ladder(plan, [1, 2, 32, 64], stage_seconds=1.0, stop_on_p99_ms=150.0)
    seen = [(s.ccu, s.latency_ms.p99) for s in result.stages]
    assert [s.ccu for s in result.stages] == [1, 2, 32], seen
    assert result.knee_last_healthy_ccu == 2
    assert result.knee_first_saturated_ccu == 32
    assert result.stages[-1].stopped_reason.startswith("p99")


def test_ladder_stops_on_errors(server: RunningServer) -> None:
    plan = build_plan(server.base_url, paths=("/", "/error500"))
    result = run_ladder(plan, [1, 2], stage_seconds=0.5, stop_on_errors=0.2)
    assert len(result.stages) == 1
    assert result.knee_first_saturated_ccu == 1 and result.knee_last_healthy_ccu is None


def test_max_requests_caps_the_stage(server: RunningServer) -> None:
    stage = run_stage(build_plan(server.base_url), ccu=4, duration_s=5.0, max_requests=200)
    assert stage.requests <= 200
    assert stage.duration_s < 4.0


def test_spec_templating_reaches_the_server(server: RunningServer, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("requests:\n  - path: /items/{counter}\n    weight: 3\n  - method: POST\n    path: /echo\n"
                    "    json: {n: 1}\n", encoding="utf-8")
    stage = run_stage(build_plan(server.base_url, spec_file=str(spec)), ccu=2, duration_s=0.5, processes=2)
    assert stage.errors.total == 0 and stage.requests > 20
    assert stage.generator_processes == 2


def test_max_requests_caps_the_whole_ladder_warmup_included(server: RunningServer) -> None:
    result = run_ladder(build_plan(server.base_url), [2, 2, 2], stage_seconds=5.0, warmup_s=0.2, max_requests=300)
    sent = sum(s.requests_sent for s in result.stages)
    assert sent <= 300
    assert any("max-requests" in n for n in result.notes)


def test_https_target_with_verified_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TLS goes through the same Protocol engine; the certificate is verified (trusted via SSL_CERT_FILE)."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    from workeradvisor import procs

    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "load_target:app", "--app-dir", str(Path(__file__).parent / "apps"),
            "--port", str(port), "--ssl-keyfile", str(key), "--ssl-certfile", str(cert), "--log-level", "warning"]
    with procs.owned(argv):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        untrusted = run_stage(build_plan(f"https://127.0.0.1:{port}/"), ccu=1, duration_s=0.5)
        assert untrusted.requests == 0 and untrusted.errors.connect > 0
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusted = run_stage(build_plan(f"https://127.0.0.1:{port}/"), ccu=2, duration_s=0.5)
    assert trusted.requests > 50 and trusted.errors.total == 0
