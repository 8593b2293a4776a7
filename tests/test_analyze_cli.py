"""``compare`` on the CPU-bound example, Ctrl-C, bad input, route discovery and worker capping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from analyze_helpers import FAST, ROOT, analyze_json
from conftest import descendants, run_cli, still_alive
from test_decide_reports import _mermaid_blocks, check_xychart

from workeradvisor.models.decision import Environment
from workeradvisor.models.scan import Route
from workeradvisor.orchestrate import worker_counts
from workeradvisor.orchestrate.sources import choose_paths, source_paths
from workeradvisor.report import analysis_json, analysis_markdown


def _env(cores: float) -> Environment:
    return Environment(cores=cores, cores_source="test", host_cores=8, host_memory_bytes=1 << 34)


def test_worker_counts_are_capped_by_real_cores_and_say_so() -> None:
    assert worker_counts((1, 2, 4), _env(4)) == ((1, 2, 4), "")
    counts, note = worker_counts((1, 2, 4), _env(2))
    assert counts == (1, 2) and "capped" in note and "4" in note
    counts, note = worker_counts((4,), _env(1.5))  # the quota's floor still gets measured
    assert counts == (1,) and "capped" in note


def _route(path: str, line: int, method: str = "GET") -> Route:
    return Route(method, path, f"app.f{line}", "app.py", line, True, "{" in path)


def test_route_discovery_skips_probes_and_path_params() -> None:
    routes = (_route("/", 1), _route("/items/{id}", 2), _route("/search", 3), _route("/orders", 4, "POST"),
              _route("/health", 5), _route("/chat", 6))
    paths, why = choose_paths(routes)
    assert paths == ("/search", "/chat")
    assert "app.py:3" in why and "/items/{id}" in why and "--requests" in why
    assert choose_paths((_route("/", 1),))[0] == ("/",)  # only a probe: load it rather than nothing


def test_file_target_scans_the_sibling_modules_it_imports(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import helpers\nimport json\nfrom pkg import x\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("", encoding="utf-8")
    (tmp_path / "unrelated.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    found = source_paths(tmp_path / "app.py")
    assert found == [tmp_path / "app.py", tmp_path / "helpers.py", tmp_path / "pkg"]


@pytest.mark.live
def test_compare_cpu_bound_shows_the_second_worker_gain_and_the_30_percent_rule() -> None:
    doc = analyze_json("examples/cpu_bound.py:app", "--workers", "1,2,4", "--ccu", "4,8", command="compare")
    usable = doc["environment"]["usable_workers"]
    if usable < 2:  # the ladder is capped by the real cores; --cores cannot lift that cap
        pytest.skip(f"a second worker needs 2 usable cores; this process has {usable}")
    measured = sorted({x["workers"] for x in doc["load"]})
    assert measured == sorted({w for w in (1, 2, 4) if w <= usable} | {min(usable, 4)})
    ladders = [x for x in doc["load"] if x["source"] != "trials"]
    assert [x["workers"] for x in ladders] == [1]  # the fewest workers' ladder; other counts in interleaved trials
    assert any("capped" in n for n in doc["notes"]) is (usable < 4), doc["notes"]
    rows = {r["workers"]: r for r in doc["recommendation"]["compare"]}
    assert 1 in rows and rows[1]["gain"] is None
    two = rows[2]
    assert two["gain"] == pytest.approx(two["rps"] / rows[1]["rps"] - 1, abs=1e-6)
    assert two["passes"] is (two["gain"] > 0.30)
    load2 = next(x for x in doc["load"] if x["workers"] == 2)
    sampled = {p["pid"] for s in load2["stages"] for p in s["server"]["processes"] if p["role"] == "worker"}
    assert len(sampled) == 2  # two real worker processes served the 2-worker trials
    gain = doc["recommendation"]["gain_tests"][0]
    assert (gain["baseline_workers"], gain["workers"]) == (1, 2) and gain["pairs"] >= 2
    assert gain["outcome"] in ("scale", "keep", "inconclusive")
    md = analysis_markdown.render(analysis_json.from_dict(doc))
    assert "the 30% rule" in md
    blocks = [b for b in _mermaid_blocks(md) if "vs CCU" in b[1]]  # the decision-matrix bars come after
    assert len(blocks) == 2
    for block in blocks:
        check_xychart(block)
        assert sum(1 for line in block if line.strip().startswith("line")) == len(ladders)


@pytest.mark.parallel
@pytest.mark.live
def test_ctrl_c_during_the_ladder_reports_finished_steps_and_stops_every_process() -> None:
    argv = [sys.executable, "-m", "workeradvisor", "analyze", "examples/io_gateway.py:app", "--idle-seconds", "1",
            "--profile-seconds", "1", "--stage-seconds", "30", "--format", "json"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    seen: list[int] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        for line in proc.stderr:
            if "profiled run" in line or time.monotonic() > deadline:  # its line ends it: the ladder starts
                break
        time.sleep(2.5)  # the first stage is running: uvicorn and the load generators are up
        seen = descendants(proc.pid)
        assert seen, "no child processes while the ladder runs"
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err[-2000:]
    doc = json.loads(out)
    assert doc["scan"] is not None and doc["profile"]["request_cpu_ratio"] is not None
    assert any("interrupted during the load ladder" in n for n in doc["notes"]), doc["notes"]
    assert "interrupted" in err.strip().splitlines()[-1]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and still_alive(seen):
        time.sleep(0.2)
    assert still_alive(seen) == []


@pytest.mark.parallel
@pytest.mark.live
def test_bad_input_is_one_line_exit_2_before_anything_starts(tmp_path: Path) -> None:
    proc = run_cli("analyze", "examples/nope.py:app")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "not found" in proc.stderr
    proc = run_cli("analyze", "examples/io_gateway.py:app", "--workers", "0")
    assert proc.returncode == 2 and "--workers" in proc.stderr
    bad = tmp_path / "spec.yaml"
    bad.write_text("requests:\n  - path: [oops\n", encoding="utf-8")
    proc = run_cli("compare", "examples/io_gateway.py:app", "--requests", str(bad))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "YAML" in proc.stderr
    assert "launch" not in proc.stderr  # failed before starting any server


@pytest.mark.parallel
@pytest.mark.live
def test_app_that_dies_at_start_reports_the_scan_and_exits_3(tmp_path: Path) -> None:
    app = tmp_path / "broken.py"
    app.write_text("import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/x')\n"
                   "async def x() -> dict:\n    time.sleep(1)  # blocking\n    return {}\n\n"
                   "raise RuntimeError('boom at import')\n", encoding="utf-8")
    proc = run_cli("analyze", f"{app}:app", *FAST, "--format", "json")
    assert proc.returncode == 3, proc.stderr
    assert "boom at import" in proc.stderr.strip().splitlines()[-1]
    doc = json.loads(proc.stdout)
    assert doc["scan"]["findings"] and doc["profile"] is None and doc["load"] == []


def test_docs_example_report_is_an_analyze_run_with_valid_charts() -> None:
    text = (ROOT / "docs" / "example-analyze-mem0.md").read_text(encoding="utf-8")
    assert "analyze ran for" in text and "## Decision matrix" in text and "## Decision path" in text
    blocks = _mermaid_blocks(text)
    assert len(blocks) == 2
    for block in blocks:
        check_xychart(block)
        assert sum(1 for line in block if line.strip().startswith("line")) == 2  # 1 and 2 workers


@pytest.mark.live
def test_a_request_spec_replaces_route_discovery(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("requests:\n  - path: /quote\n    weight: 3\n  - path: /aggregate\n", encoding="utf-8")
    doc = analyze_json("examples/io_gateway.py:app", "--requests", str(spec), "--ccu", "5")
    assert f"requests from {spec}" in doc["notes"]
    assert not any(n.startswith("discovered GET routes") for n in doc["notes"])
    stage = doc["load"][0]["stages"][0]
    assert stage["requests"] > 0 and stage["errors"]["http_4xx"] == 0
    assert doc["profile"]["per_request"]["requests"] > 0
