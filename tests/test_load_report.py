"""Load renderers (JSON schema, markdown + mermaid, rich text) and the ladder's pure decisions."""

from __future__ import annotations

import dataclasses
import json

import pytest
from rich.console import Console

from workeradvisor.load.ladder import assess_host, inferred_knee, stop_reason
from workeradvisor.models.load import ErrorCounts, LatencySummary, LoadResult, ProcessSample, ServerMetrics, StageResult
from workeradvisor.report import load_json, load_markdown, load_text
from workeradvisor.report.mermaid import xychart


def stage(ccu: int, rps: float, p99: float, *, idle: float = 50.0, errors: ErrorCounts | None = None,
          requests: int = 1000, server: ServerMetrics | None = None) -> StageResult:
    lat = LatencySummary(requests, p99 / 2, p99 / 3, p99 / 2, p99 * 0.8, p99, p99 * 1.2, p99 * 2)
    return StageResult(kind="ccu", ccu=ccu, rate=None, duration_s=5.0, requests=requests, rps=rps, latency_ms=lat,
                       errors=errors or ErrorCounts(), bytes_received=requests * 100, server=server,
                       generator_cpu_percent=40.0, host_cpu_idle_percent=idle, generator_bound=False)


def test_stop_reason_p99_and_errors() -> None:
    assert stop_reason(stage(10, 100, 50), 40, None).startswith("p99 50 ms > 40")
    assert stop_reason(stage(10, 100, 30), 40, None) == ""
    failing = stage(10, 100, 5, errors=ErrorCounts(http_5xx=100), requests=1000)
    assert stop_reason(failing, None, 0.05).startswith("errors 10.0%")
    refused = stage(10, 0, 0, errors=ErrorCounts(connect=10), requests=0)
    assert refused.error_fraction == 1.0 and stop_reason(refused, None, 0.5)


def test_inferred_knee_needs_flat_rps_and_rising_p99() -> None:
    stages = [stage(30, 1000, 10), stage(60, 1900, 12), stage(100, 1950, 40), stage(150, 1960, 90)]
    assert inferred_knee(stages) == (60, 100)
    assert inferred_knee(stages[:2]) == (None, None)


def test_host_without_idle_cpu_while_p99_rises_is_generator_bound() -> None:
    prev = stage(30, 1000, 10)
    bound = assess_host(stage(60, 1100, 30, idle=1.0), prev)
    assert bound.generator_bound and "idle" in bound.generator_bound_reason
    assert not assess_host(stage(60, 1100, 30, idle=40.0), prev).generator_bound
    assert not assess_host(stage(60, 1100, 11, idle=1.0), prev).generator_bound


def _result() -> LoadResult:
    server = ServerMetrics((ProcessSample(42, "worker", 97.5, 50 * 2**20),), 97.5, 50 * 2**20)
    bound = dataclasses.replace(stage(100, 2000, 80, server=server), generator_bound=True,
                                generator_bound_reason="a generator process used 85% of a core (> 70%)")
    return LoadResult(target="http://127.0.0.1:8000", stages=(stage(30, 1000, 10, server=server),
                                                             stage(60, 1900, 20, server=server), bound),
                      knee_last_healthy_ccu=60, knee_first_saturated_ccu=100, notes=("a note",))


def test_json_schema_is_stable() -> None:
    data = json.loads(load_json.render(_result()))
    assert data["schema"] == "workeradvisor.load/1"
    assert data["version"] == 1  # docs/json.md
    assert data["knee"] == {"last_healthy_ccu": 60, "first_saturated_ccu": 100}
    s = data["stages"][2]
    assert set(s) == {"kind", "ccu", "rate", "duration_s", "requests", "requests_sent", "rps", "latency_ms", "errors",
                      "error_fraction", "bytes_received", "server", "generator", "generator_bound",
                      "generator_bound_reason", "partial", "stopped_reason", "operations"}
    assert set(s["latency_ms"]) == {"count", "mean", "p50", "p90", "p95", "p99", "p999", "max"}
    assert s["errors"]["total"] == 0 and s["generator_bound"] is True
    assert s["server"]["processes"][0] == {"pid": 42, "role": "worker", "cpu_percent": 97.5, "rss_bytes": 50 * 2**20,
                                           "uss_bytes": None, "pss_bytes": None, "shared_bytes": None}
    assert s["generator"] == {"cpu_percent": 40.0, "processes": 1, "host_cpu_idle_percent": 50.0}


def test_markdown_has_table_and_mermaid_charts() -> None:
    md = load_markdown.render(_result())
    assert md.count("```mermaid") == 2 and "xychart-beta" in md
    assert 'x-axis "CCU" ["30", "60", "100"]' in md
    assert "line [10, 20, 80]" in md and "line [1000, 1900, 2000]" in md
    assert "| ccu 100 |" in md and "GENERATOR-BOUND" in md
    assert "Knee: last healthy ccu 60, first saturated ccu 100" in md


def test_text_marks_untrustworthy_stage() -> None:
    out = load_text.render(_result(), Console(width=200))
    assert "GENERATOR-BOUND" in out and "ccu 100 is untrustworthy" in out
    assert "worker 42: 98% CPU, 50 MiB" in out


def test_mermaid_multi_series_and_gaps() -> None:
    chart = xychart("p99 vs CCU", "CCU", [30, 60, 100], "ms", [("1 worker", [5, 9, 30]), ("2 workers", [4, 6, None])])
    assert chart.count("line [") == 2 and "line [4, 6]" in chart
    assert "Legend: 🟦 1 worker (blue #3b82f6); 🟧 2 workers (orange #ea580c)" in chart
    with pytest.raises(ValueError, match="gap"):
        xychart("t", "x", [1, 2, 3], "y", [("s", [1, None, 3])])
    with pytest.raises(ValueError):
        xychart("t", "x", [], "y", [("s", [])])
    assert 'title "say \'hi\'"' in xychart('say "hi"', "x", [1], "y", [("s", [1])], kind="bar")


def _child(ok: int, cpu_s: float, window_s: float, latencies_us: list[int]) -> dict[str, object]:
    from workeradvisor.load.generator import new_histogram

    h = new_histogram()
    for v in latencies_us:
        h.record_value(v)
    return {"hist": h.encode().decode("ascii"), "ok": ok, "errors": {"connect": 1, "read": 0, "timeout": 0,
            "http_4xx": 0, "http_5xx": 2}, "bytes": 100, "window_s": window_s, "cpu_s": cpu_s}


def test_merge_sums_processes_and_flags_a_busy_generator() -> None:
    from workeradvisor.load.runner import merge_results

    calm = merge_results([_child(100, 0.5, 1.0, [1000] * 99 + [50_000]), _child(300, 0.6, 1.0, [2000] * 300)],
                         ccu=8, rate=None, server=None, host=((10.0, 100.0), (11.0, 102.0)), partial=False)
    assert calm.rps == 400 and calm.requests == 400 and calm.latency_ms.count == 399 + 1
    assert calm.latency_ms.p50 == pytest.approx(2.0, rel=0.01)
    assert calm.latency_ms.max == pytest.approx(50.0, rel=0.01)
    assert calm.errors.connect == 2 and calm.errors.http_5xx == 4
    assert calm.generator_cpu_percent == 110.0 and calm.generator_processes == 2
    assert calm.host_cpu_idle_percent == 50.0
    assert not calm.generator_bound
    busy = merge_results([_child(100, 0.8, 1.0, [1000])], ccu=8, rate=None, server=None, host=(None, None),
                         partial=False)
    assert busy.generator_bound and "80%" in busy.generator_bound_reason
