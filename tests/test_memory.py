"""Per-worker memory without starting anything: reading USS/PSS (and falling back to RSS), the PSS
memory fit's arithmetic, the reports' memory section, old JSON read back, and the --preload flag."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

import psutil
import pytest
from decide_factories import MIB, env, load, profile, scan, stage

from workeradvisor import procstat
from workeradvisor.commands.options import LaunchFlags
from workeradvisor.decide.capacity import WorkerMemory, build_capacity, choose_workers, memory_fit, per_worker_memory
from workeradvisor.decide.engine import analyze_results, decide
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.errors import UsageError
from workeradvisor.launchmodes import LaunchSpec, deploy_command, server_argv
from workeradvisor.models.decision import Analysis, CompareRow
from workeradvisor.models.launch import Deploy
from workeradvisor.models.load import LoadResult, ProcessSample, ServerMetrics
from workeradvisor.models.readers import analysis_from_dict, load_from_dict
from workeradvisor.report import analysis_json, analysis_markdown, analysis_text, load_json, load_text
from workeradvisor.report.memory_parts import memory_lines, memory_rows

# --- reading memory ----------------------------------------------------------------------------


def test_read_memory_of_a_live_process_has_uss_pss_and_shared() -> None:
    blob = b"m" * (16 * MIB)  # resident and private to this process
    r = procstat.read_memory(os.getpid())
    assert r is not None and r.uss is not None and r.pss is not None and r.shared is not None
    assert r.uss >= len(blob) and r.uss <= r.pss <= r.rss and r.shared == r.rss - r.uss


def test_read_memory_falls_back_to_rss_when_smaps_is_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: psutil.Process) -> None:
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "memory_full_info", denied)
    r = procstat.read_memory(os.getpid())
    assert r is not None and r.rss > 0 and r.uss is None and r.pss is None and r.shared is None


def test_read_memory_of_a_gone_process_is_none() -> None:
    assert procstat.read_memory(2**22 + 12345) is None  # above pid_max's default ceiling


def test_sampler_keeps_the_highest_pss_reading_and_totals_it() -> None:
    metrics = procstat.ProcessSampler(os.getpid(), interval_s=0.05, full_interval_s=0.05).start().stop()
    # The test process may have children from earlier tests (a scan's process pool): read ours.
    [me] = [p for p in metrics.processes if p.pid == os.getpid()]
    assert me.pss_bytes and me.uss_bytes and me.shared_bytes is not None
    assert metrics.total_pss_bytes == sum(p.pss_bytes or 0 for p in metrics.processes)
    assert metrics.memory_note == ""


def test_sampler_without_smaps_says_rss_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procstat, "read_memory", lambda pid: procstat.MemoryReading(50 * MIB))
    metrics = procstat.ProcessSampler(os.getpid(), interval_s=0.05).start().stop()
    assert metrics.processes[0].pss_bytes is None and metrics.total_pss_bytes is None
    assert "RSS only" in metrics.memory_note and "CAP_SYS_PTRACE" in metrics.memory_note


# --- the memory fit ----------------------------------------------------------------------------


def _server(worker_pss: int, uss: int, rss: int, sup_pss: int | None = 30, workers: int = 2) -> ServerMetrics:
    procs = [ProcessSample(100 + i, "worker", 40.0, rss * MIB, uss * MIB, worker_pss * MIB, (rss - uss) * MIB)
             for i in range(workers)]
    if sup_pss is not None:
        procs.insert(0, ProcessSample(99, "supervisor", 0.0, rss * MIB, 5 * MIB, sup_pss * MIB, (rss - 5) * MIB))
    total = sum(p.pss_bytes or 0 for p in procs)
    return ServerMetrics(tuple(procs), 80.0, sum(p.rss_bytes for p in procs), total)


def _loaded(server: ServerMetrics, workers: int = 2) -> LoadResult:
    return load((replace(stage(10, 400, 5, 20, 80, workers=workers), server=server),), workers=workers)


def test_memory_fit_counts_the_supervisor_once_and_each_worker_by_pss() -> None:
    mem = WorkerMemory(pss=100 * MIB, uss=40 * MIB, shared=60 * MIB, supervisor_pss=50 * MIB)
    # 1000 / 1.25 = 800 MiB budget, less the 50 MiB supervisor = 750 -> 7 workers of 100 MiB
    assert memory_fit(1000 * MIB, 0.25, 300 * MIB, mem) == 7
    assert memory_fit(1000 * MIB, 0.25, 300 * MIB, None) == 2  # RSS: 1000 // (300 x 1.25)
    assert memory_fit(60 * MIB, 0.25, 300 * MIB, mem) == 0  # not even the supervisor fits
    assert memory_fit(1000 * MIB, 0.25, None, None) is None


def test_per_worker_memory_takes_the_largest_pss_reading() -> None:
    one = _loaded(_server(worker_pss=70, uss=20, rss=120, sup_pss=None, workers=1), workers=1)
    two = _loaded(_server(worker_pss=45, uss=20, rss=120, sup_pss=30))
    mem = per_worker_memory(None, (one, two))
    assert mem == WorkerMemory(70 * MIB, 20 * MIB, 100 * MIB, 30 * MIB)
    assert per_worker_memory(profile(rss_mib=80), (load((stage(10, 400, 5, 20, 80),)),)) is None  # no PSS: RSS


def test_capacity_uses_pss_and_the_cap_note_says_so() -> None:
    server = _server(worker_pss=200, uss=150, rss=260, sup_pss=40)
    cap = build_capacity(None, (_loaded(server),), env(cores=4, memory_mib=1000), DecideOptions(), 0.25)
    assert cap.memory_basis == "pss" and cap.per_worker_pss_bytes == 200 * MIB and cap.per_worker_rss_bytes == 260 * MIB
    assert cap.memory_fit_workers == 3  # (1000 / 1.25 - 40) // 200
    choice = choose_workers((4, 4), cap, env(cores=4, memory_mib=1000), False)
    assert choice.workers == 3
    assert any("4 x 200 MiB PSS (RSS 260 MiB) + a 40 MiB PSS supervisor" in n for n in choice.notes)


def test_rss_fallback_keeps_the_old_fit() -> None:
    cap = build_capacity(profile(rss_mib=300), (), env(cores=4, memory_mib=800), DecideOptions(), 0.25)
    assert cap.memory_basis == "rss" and cap.memory_fit_workers == 2 and cap.per_worker_pss_bytes is None


def test_memory_headroom_is_the_trees_threshold() -> None:
    from workeradvisor.decide.tree import load_decision_tree

    tree = load_decision_tree(None, {"memory_headroom": 0.0})
    a = _loaded(_server(worker_pss=200, uss=150, rss=260, sup_pss=40))
    rec = decide(scan(), None, (a,), env(cores=4, memory_mib=1000), tree=tree)
    assert rec.capacity is not None and rec.capacity.memory_fit_workers == 4  # (1000 - 40) // 200


# --- reports and JSON --------------------------------------------------------------------------


def _analysis(preload: bool, server: ServerMetrics | None = None) -> Analysis:
    a = analyze_results(scan(), None, (_loaded(server or _server(worker_pss=45, uss=12, rss=110)),),
                        env(cores=2, memory_mib=1024))
    return replace(a, deploy=Deploy("gunicorn", "gunicorn app:app -w 2" + (" --preload" if preload else ""), 2,
                                    preload=preload))


def test_memory_section_rows_and_sentences() -> None:
    a = _analysis(preload=True)
    assert memory_rows(a)[0] == ["2", "supervisor", "99", "110", "5", "30", "105"]
    assert memory_rows(a)[1] == ["2", "worker", "100", "110", "12", "45", "98"]
    lines = memory_lines(a)
    assert lines[0].startswith("each extra worker costs about 12 MiB of its own (USS); its PSS 45 MiB")
    assert lines[1] == ("memory fit (PSS): (30 MiB supervisor + N x 45 MiB) x 1.25 <= 1,024 MiB (test): "
                        "up to 17 worker(s)")  # (1024 / 1.25 - 30) // 45 = 17
    assert lines[2].startswith("gunicorn --preload: the app was imported once in the master") and "98 MiB" in lines[2]
    without = memory_lines(_analysis(preload=False))
    assert without[2].startswith("without --preload each gunicorn worker imports the app itself")


def test_memory_section_in_text_and_markdown_and_not_without_pss() -> None:
    a = _analysis(preload=True)
    assert "Memory per process" in analysis_text.render(a)
    md = analysis_markdown.render(a)
    assert "## Memory per worker" in md and "| 2 | worker | 100 | 110 | 12 | 45 | 98 |" in md
    old = analyze_results(scan(), None, (load((stage(10, 400, 5, 20, 80),)),), env())
    assert memory_rows(old) == [] and memory_lines(old) == []
    assert "Memory per process" not in analysis_text.render(old)


def test_decision_matrix_memory_shows_pss_with_rss() -> None:
    from workeradvisor.report.analysis_common import memory_cell

    row = replace(_compare_row(), memory_bytes=330 * MIB, memory_pss_bytes=120 * MIB)
    assert memory_cell(row) == "120 MiB PSS (RSS 330 MiB)"
    assert memory_cell(replace(row, memory_pss_bytes=None)) == "330 MiB"


def _compare_row() -> CompareRow:
    return CompareRow(1, 10, 100.0, 20.0, 50.0, None, None, None)


def test_analysis_json_round_trips_the_memory_figures() -> None:
    a = _analysis(preload=True)
    doc = json.loads(analysis_json.render(a))
    cap = doc["recommendation"]["capacity"]
    assert cap["memory_basis"] == "pss" and cap["per_worker_pss_mib"] == 45.0 and cap["supervisor_pss_mib"] == 30.0
    assert doc["deploy"]["preload"] is True
    back = analysis_from_dict(doc)
    assert back.recommendation is not None and back.recommendation.capacity == a.recommendation.capacity  # type: ignore[union-attr]
    assert back.load[0].stages[0].server == a.load[0].stages[0].server
    assert back.deploy is not None and back.deploy.preload


def test_old_load_json_without_memory_keys_reads_as_unknown() -> None:
    doc = json.loads(load_json.render(load((stage(10, 400, 5, 20, 80),))))
    for p in doc["stages"][0]["server"]["processes"]:
        for key in ("uss_bytes", "pss_bytes", "shared_bytes"):
            del p[key]
    del doc["stages"][0]["server"]["total_pss_bytes"]
    server = load_from_dict(doc).stages[0].server
    assert server is not None and server.total_pss_bytes is None and server.processes[0].pss_bytes is None


def test_load_text_shows_pss_per_process() -> None:
    text = load_text.render(_loaded(_server(worker_pss=45, uss=12, rss=110)))
    assert "server PSS MiB" in text
    assert "worker 100: 40% CPU, RSS 110 MiB, PSS 45 MiB (USS 12, shared 98)" in " ".join(text.split())


# --- gunicorn --preload --------------------------------------------------------------------------


def test_preload_reaches_gunicorn_and_the_deploy_line() -> None:
    spec = LaunchSpec(server="gunicorn", preload=True)
    assert server_argv(spec, sys.executable, "app:app", "/srv", 8000, 2)[-1] == "--preload"
    assert "--preload" not in server_argv(LaunchSpec(server="gunicorn"), sys.executable, "app:app", "/srv", 8000, 2)
    assert deploy_command(spec, "app:app", "/srv", 2).endswith("--preload")  # type: ignore[union-attr]


@pytest.mark.parametrize("flags", [LaunchFlags(preload=True), LaunchFlags(server="gunicorn", cmd="x {port}",
                                                                          preload=True)])
def test_preload_needs_gunicorn(flags: LaunchFlags) -> None:
    with pytest.raises(UsageError, match="--preload goes with --server gunicorn"):
        flags.spec("app.py:app")
