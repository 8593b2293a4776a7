"""Checks against the scanner's evidence (real scan of a fixture app) and against a saved analysis."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.check_helpers import FIXTURES, actual_findings, expected_findings, run_fixture
from workeradvisor.check.analysis import load_analysis
from workeradvisor.check.scanning import scan_tree
from workeradvisor.errors import UsageError

EVIDENCE = FIXTURES / "scan_evidence"


def _scan(monkeypatch):
    monkeypatch.chdir(EVIDENCE)
    scan, note = scan_tree(Path("."))
    assert scan is not None, note
    return scan


def test_sync_endpoints_over_thread_limiter_and_default_executor(monkeypatch) -> None:
    report = run_fixture(EVIDENCE, monkeypatch, scan=_scan(monkeypatch), target_ccu=100)
    assert actual_findings(report) == expected_findings(EVIDENCE)
    wa508 = next(f for f in report.findings if f.rule == "WA508")
    assert "2 sync endpoints" in wa508.message and "up to 100 requests" in wa508.message


def test_thread_limiter_silent_when_each_worker_stays_under_40(monkeypatch) -> None:
    report = run_fixture(EVIDENCE, monkeypatch, scan=_scan(monkeypatch), target_ccu=40)
    assert {f.rule for f in report.findings} == {"WA509"}


def test_thread_limiter_needs_target_ccu(monkeypatch) -> None:
    report = run_fixture(EVIDENCE, monkeypatch, scan=_scan(monkeypatch))
    assert "WA508" not in {f.rule for f in report.findings}


def test_default_executor_silent_without_sync_endpoints(monkeypatch, tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(
        "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\nfrom fastapi import FastAPI\n"
        "app = FastAPI()\n\n@app.on_event('startup')\nasync def start():\n"
        "    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(64))\n\n"
        "@app.get('/')\nasync def root():\n    return {}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    scan, _ = scan_tree(Path("."))
    assert scan is not None and any(f.category == "executor-misuse" for f in scan.findings)
    report = run_fixture(tmp_path, monkeypatch, scan=scan, target_ccu=500)
    assert report.findings == ()


def test_fixed_blocking_call_is_not_open_when_the_scan_no_longer_finds_it(monkeypatch) -> None:
    root = FIXTURES / "analysis" / "disagree"
    monkeypatch.chdir(root)
    scan, _ = scan_tree(Path("."))
    assert scan is not None
    with_scan = run_fixture(root, monkeypatch, analysis="analysis.json", scan=scan)
    assert "WA512" in {f.rule for f in with_scan.findings}  # requests.post is still there
    fixed = dataclasses.replace(scan, findings=tuple(f for f in scan.findings if not f.category.startswith("blocking")))
    report = run_fixture(root, monkeypatch, analysis="analysis.json", scan=fixed)
    assert "WA512" not in {f.rule for f in report.findings}


def test_measured_rss_comes_from_the_analysis(monkeypatch) -> None:
    saved = load_analysis(FIXTURES / "analysis" / "disagree" / "analysis.json")
    assert saved.worker_rss_bytes == 310 * 1024**2 and saved.rss_source.startswith("profile")
    assert saved.workers == 1 and saved.workers_range == (1, 2)
    assert [a.kind for a in saved.actions] == ["fix-blocking", "fix-idle-cpu", "raise-thread-limit"]
    assert saved.actions[0].path == "app/memory.py" and saved.actions[0].line == 14
    assert saved.actions[1].thread == "posthog-consumer"


@pytest.mark.parametrize(("content", "needle"), [
    ("{not json", "analysis.json: not JSON"),
    ('{"recommendation": {}}', "missing recommendation.workers"),
    ('{"recommendation": {"workers": 2, "workers_range": [1]}}', "workers_range"),
    ('{"recommendation": {"workers": 2, "actions": [{"kind": "buy-more-ram"}]}}', "unknown action kind"),
])
def test_bad_analysis_file_is_a_usage_error(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "analysis.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=needle):
        load_analysis(path)


def test_idle_cpu_action_open_when_telemetry_left_on(monkeypatch, tmp_path: Path) -> None:
    src = FIXTURES / "analysis" / "agree"
    (tmp_path / "docker-compose.yml").write_text(
        (src / "docker-compose.yml").read_text(encoding="utf-8").replace('MEM0_TELEMETRY: "False"',
                                                                         'MEM0_TELEMETRY: "True"'), encoding="utf-8")
    (tmp_path / "analysis.json").write_text(json.dumps(json.loads((src / "analysis.json").read_text())))
    report = run_fixture(tmp_path, monkeypatch, analysis="analysis.json")
    assert {f.rule for f in report.findings} == {"WA513"}


def test_reads_a_real_analyze_output(monkeypatch) -> None:
    """analysis.json here was written by a real `workeradvisor analyze examples/telemetry.py:app` run."""
    root = FIXTURES / "analysis" / "real_telemetry"
    saved = load_analysis(root / "analysis.json")
    assert saved.worker_rss_bytes and saved.worker_rss_bytes > 10 * 1024**2
    report = run_fixture(root, monkeypatch, analysis="analysis.json")
    idle = next(a for a in saved.actions if a.kind == "fix-idle-cpu")
    assert idle.thread == "metrics-push"
    assert actual_findings(report) == expected_findings(root) | {(idle.path, idle.line, "WA513")}
