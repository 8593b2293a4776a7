"""Per-worker memory on a real gunicorn (issue 15, acceptance 3): RSS, USS, PSS and shared memory,
with and without ``--preload``.

tests/apps/big_import.py builds a 64 MiB bytes object at import. With ``--preload`` the master
imports it once and the two forked workers share its pages copy-on-write: each worker's RSS holds
it, its USS does not, and RSS - USS (shared) does. Without ``--preload`` each worker imports the
module itself and its USS holds its own copy. One short real stage per mode (~5 s each); the
report is then rendered from those measurements through the real decision engine.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from workeradvisor.decide.engine import analyze_results
from workeradvisor.launch import serve
from workeradvisor.launchmodes import LaunchSpec
from workeradvisor.load import build_plan, run_stage
from workeradvisor.models.decision import Environment
from workeradvisor.models.launch import Deploy
from workeradvisor.models.load import LoadResult, ProcessSample, StageResult
from workeradvisor.report import analysis_markdown, analysis_text

BIG = f"{Path(__file__).parent / 'apps' / 'big_import.py'}:app"
BLOB = 64 << 20  # tests/apps/big_import.py's BLOB_MIB
MIB = 1 << 20


def _measure(preload: bool) -> StageResult:
    spec = LaunchSpec(server="gunicorn", preload=preload)
    with serve(BIG, workers=2, launch=spec, health_path="/cpu?ms=0") as server:
        plan = build_plan(server.base_url, paths=["/cpu?ms=1"])
        return run_stage(plan, ccu=2, duration_s=1.5, warmup_s=0.3, processes=1, server_pid=server.pid)


def _workers(stage: StageResult) -> list[ProcessSample]:
    assert stage.server is not None
    workers = [p for p in stage.server.processes if p.role == "worker"]
    assert len(workers) == 2, stage.server.processes
    return workers


def _env() -> Environment:
    return Environment(cores=2.0, cores_source="test", host_cores=2, host_memory_bytes=2048 * MIB,
                       memory_limit_bytes=1024 * MIB, memory_source="test")


@pytest.mark.live
def test_preload_shares_the_import_time_memory_and_the_report_shows_it() -> None:
    pre, own = _measure(True), _measure(False)
    for stage in (pre, own):
        assert stage.server is not None and stage.server.memory_note == ""
        assert stage.server.total_pss_bytes is not None
        assert stage.server.total_pss_bytes < stage.server.total_rss_bytes  # RSS counts shared pages per process
    for w in _workers(pre):  # --preload: the blob is in RSS and shared, not in the worker's own pages
        assert w.pss_bytes is not None and w.uss_bytes is not None and w.shared_bytes is not None
        assert w.rss_bytes >= BLOB and w.shared_bytes >= 0.75 * BLOB and w.uss_bytes < BLOB / 2
        assert w.uss_bytes < w.pss_bytes < w.rss_bytes
    for w in _workers(own):  # no --preload: each worker holds its own copy
        assert w.uss_bytes is not None and w.uss_bytes >= 0.9 * BLOB
    # the whole server: with --preload three processes share one copy, without it two workers hold one each
    assert own.server is not None and pre.server is not None and own.server.total_pss_bytes is not None
    assert pre.server.total_pss_bytes is not None
    assert own.server.total_pss_bytes - pre.server.total_pss_bytes >= 0.75 * BLOB

    load = LoadResult("http://127.0.0.1/", (pre,), workers=2)
    analysis = analyze_results(None, None, (load,), _env())
    analysis = replace(analysis, deploy=Deploy("gunicorn", "gunicorn big_import:app --preload", 2, preload=True))
    assert analysis.recommendation is not None
    cap = analysis.recommendation.capacity
    assert cap is not None and cap.memory_basis == "pss" and cap.per_worker_pss_bytes is not None
    assert cap.per_worker_shared_bytes is not None and cap.per_worker_shared_bytes >= 0.75 * BLOB
    text = analysis_text.render(analysis)
    flat = " ".join(text.split())  # sentences wrap at the report's width
    assert "Memory per process" in text and "gunicorn --preload: the app was imported once in the master" in flat
    assert f"each worker shares {cap.per_worker_shared_bytes / MIB:,.0f} MiB with the others (RSS - USS" in flat
    for w in _workers(pre):  # every worker's row: RSS and PSS
        row = next(line for line in text.splitlines() if f" {w.pid} " in line)
        assert f" {w.rss_bytes / MIB:,.0f} " in row and f" {w.pss_bytes / MIB:,.0f} " in row  # type: ignore[operator]
    markdown = analysis_markdown.render(analysis)
    assert "## Memory per worker" in markdown and "| PSS MiB |" in markdown
