"""``load --engine locust`` in-process: option checks, the generated locustfile, reading a stage.

The live run (master + 2 workers against a real server) is tests/test_load_locust_live.py.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workeradvisor.cli import app
from workeradvisor.errors import EXIT_TOOL_MISSING, EXIT_USAGE, ToolMissingError, UsageError, WorkerAdvisorError
from workeradvisor.load import build_plan
from workeradvisor.load import locust_engine as eng
from workeradvisor.load.locust_hook import measured_window_hook
from workeradvisor.load.locustfile import render_locustfile
from workeradvisor.models.load import ErrorCounts
from workeradvisor.report import load_json

URL = "http://127.0.0.1:9/cpu?ms=1"
HEAD = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
        "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
        "99.99%,100%\n")


def invoke(*args: str) -> BaseException | None:
    return CliRunner().invoke(app, ["load", *args], catch_exceptions=True).exception


@pytest.mark.parametrize(("extra", "needle"), [
    (("--rate", "50"), "--rate cannot be used with --engine locust"),
    (("--processes", "2"), "--processes cannot be used"),
    (("--max-requests", "10"), "--max-requests cannot be used"),
    (("--expect-workers", "1", "--locust-workers", "2"), "--expect-workers >= 1 and >= --locust-workers"),
    (("--locust-bind", "127.0.0.1:99999"), "expected HOST or HOST:PORT"),
    (("--locust-bind", "192.0.2.7"), "not a loopback address; pass --allow-remote"),
])
def test_bad_locust_options_are_usage_errors(extra: tuple[str, ...], needle: str) -> None:
    exc = invoke(URL, "--engine", "locust", *extra)
    assert isinstance(exc, UsageError) and exc.exit_code == EXIT_USAGE, exc
    assert needle in str(exc) and "\n" not in str(exc)


def test_unknown_engine_and_locust_flags_without_it() -> None:
    assert "use native or locust" in str(invoke(URL, "--engine", "wrk"))
    assert "need --engine locust" in str(invoke(URL, "--locust-workers", "2"))


def test_bind_forms_are_parsed() -> None:
    kw = {"allow_remote": False, "rate": None, "processes": None, "max_requests": None}
    opts = load_options("127.0.0.1:5557", **kw)
    assert (opts.bind_host, opts.bind_port, opts.workers, opts.expected) == ("127.0.0.1", 5557, 2, 2)
    opts = load_options("[::1]:6000", **kw)
    assert (opts.bind_host, opts.bind_port) == ("::1", 6000)
    opts = load_options("0.0.0.0", **{**kw, "allow_remote": True})
    assert (opts.bind_host, opts.bind_port) == ("0.0.0.0", None)
    assert eng._argv_worker("locust", eng._Run("/tmp/x"), opts, 5)[5] == "127.0.0.1"


def load_options(bind: str, **kw: object) -> eng.LocustOptions:
    from workeradvisor.commands.load import locust_options

    return locust_options("locust", 2, None, bind, **kw)  # type: ignore[arg-type]


def test_missing_locust_is_exit_5_naming_the_install_command(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    monkeypatch.setattr(eng.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(eng.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError) as info:
        eng.locust_executable()
    assert info.value.exit_code == EXIT_TOOL_MISSING and "pip install locust" in str(info.value)
    exc = invoke(URL, "--engine", "locust")
    assert isinstance(exc, ToolMissingError) and "pip install locust" in str(exc)


def test_generated_locustfile_is_valid_python_with_literal_values() -> None:
    plan = build_plan("http://localhost:9/", spec_file=None, headers={"X-Token": "a'b\"c"})
    text = render_locustfile(plan) + measured_window_hook(warmup_s=0.5, run_s=2.5, timeout_s=3,
                                                          host_header=plan.host_header)
    tree = ast.parse(text)
    assigned = {t.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name) and t.id in ("WARMUP_S", "RUN_S", "FINAL_WAIT_S")}
    assert assigned["WARMUP_S"] == 0.5 and assigned["RUN_S"] == 2.5 and assigned["FINAL_WAIT_S"] == 5.0
    assert "SpecUser.network_timeout = 3.0" in text and "'X-Token': 'a\\'b\"c'" in text
    assert "SpecUser.default_headers = {\"Host\": 'localhost:9'}" in text and "SpecUser.insecure = False" in text


def test_target_url_uses_the_resolved_address_not_the_name() -> None:
    plan = build_plan("http://localhost:9/x")
    assert eng.target_url(plan) in ("http://127.0.0.1:9", "http://[::1]:9")


class _Cpu(eng._CpuWindow):
    def __init__(self, start: dict[int, float], end: dict[int, float], span: float) -> None:
        super().__init__(list(start))
        self.start, self.end, self.t0, self.t1 = start, end, 100.0, 100.0 + span


def _run_with(tmp_path: Path, stats: str, failures: str = "", markers: str = "") -> eng._Run:
    run = eng._Run(str(tmp_path / "run"))
    Path(run.prefix + "_stats.csv").write_text(HEAD + stats, encoding="utf-8")
    if failures:
        Path(run.prefix + "_failures.csv").write_text("Method,Name,Error,Occurrences\n" + failures)
    Path(run.out).write_text(markers, encoding="utf-8")
    Path(run.err).write_text("", encoding="utf-8")
    return run


ROW = ",Aggregated,200,10,48,54.4,7.8,320.5,17.0,80.0,4.0,48,53,56,59,75,84,220,280,320,320,320\n"


def test_stage_from_locust_csv_and_measured_cpu(tmp_path: Path) -> None:
    run = _run_with(tmp_path, ROW, "GET,GET /x,ConnectionRefusedError(111),4\nGET,GET /x,HTTPError('500'),6\n",
                    "WORKERADVISOR measure\nWORKERADVISOR window-end\nWORKERADVISOR final 200 2 2\n")
    stage = eng._read_stage(run, ccu=7, interrupted=False)
    assert stage is not None
    assert (stage.ccu, stage.latency_ms.count, stage.rps, stage.latency_ms.p99) == (7, 200, 80.0, 280.0)
    assert stage.errors == ErrorCounts(connect=4, http_5xx=6) and stage.requests == 196
    cpu = _Cpu({1: 1.0, 2: 5.0, 3: 5.0}, {1: 1.1, 2: 6.6, 3: 5.5}, span=2.0)
    host = ((10.0, 100.0), (11.0, 104.0))
    done = eng._with_measurements(stage, cpu, host, None, 3)
    assert done.generator_cpu_percent == pytest.approx(5 + 80 + 25, abs=0.2)
    assert done.generator_bound and "80% of a core" in done.generator_bound_reason
    assert (done.host_cpu_idle_percent, done.generator_processes, done.requests_sent) == (25.0, 3, 200)


def test_incomplete_or_missing_stats_are_one_line_errors(tmp_path: Path) -> None:
    run = _run_with(tmp_path, ROW, markers="WORKERADVISOR final 250 2 2\n")
    with pytest.raises(WorkerAdvisorError, match="CSV holds 200 requests, its master counted 250") as info:
        eng._read_stage(run, ccu=7, interrupted=False)
    assert info.value.exit_code == 70
    run = _run_with(tmp_path, ROW, markers="WORKERADVISOR measure\n")
    with pytest.raises(WorkerAdvisorError, match="stopped before the end of the stage"):
        eng._read_stage(run, ccu=7, interrupted=False)
    assert eng._read_stage(run, ccu=7, interrupted=True) is not None  # Ctrl-C: what was measured, partial
    Path(run.prefix + "_stats.csv").unlink()
    assert eng._read_stage(run, ccu=7, interrupted=True) is None
    with pytest.raises(WorkerAdvisorError, match="Locust wrote no usable stats") as info:
        eng._read_stage(run, ccu=7, interrupted=False)
    assert info.value.exit_code == 3


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def test_locust_stage_renders_the_native_json_schema(tmp_path: Path) -> None:
    from workeradvisor.models.load import LoadResult

    run = _run_with(tmp_path, ROW, markers="WORKERADVISOR final 200 2 2\n")
    stage = eng._read_stage(run, ccu=7, interrupted=False)
    assert stage is not None
    stage = eng._with_measurements(stage, _Cpu({1: 0.0}, {1: 0.5}, 2.0), ((0.0, 1.0), (0.5, 2.0)), None, 3)
    recorded = json.loads((Path(__file__).parent / "snapshots" / "recorded" / "load_1w.json").read_text())
    ours = json.loads(load_json.render(LoadResult(target="http://127.0.0.1:9", stages=(stage,))))
    native_stage = dict(recorded["stages"][0], server=None)  # our stage here has no --pid
    native_stage.setdefault("operations", [])  # recorded before per-operation stats; Locust's are not split yet
    assert _shape(ours["stages"][0]) == _shape(native_stage)
    assert set(ours) - {"version"} == set(recorded) and ours["source"] == recorded["source"]
