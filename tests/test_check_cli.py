"""``workeradvisor check`` end to end: exit codes, formats, GitHub output, and the saved-analysis gate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from tests.check_helpers import FIXTURES, expected_findings

DISAGREE = FIXTURES / "analysis" / "disagree"
AGREE = FIXTURES / "analysis" / "agree"

pytestmark = [pytest.mark.live, pytest.mark.parallel]  # every test here starts processes


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("check", *args, cwd=cwd, env=env, drop_env=("GITHUB_STEP_SUMMARY",))


def test_saved_analysis_fails_the_build_when_workers_disagree() -> None:
    """Acceptance 2: configured 4 workers vs a recommendation of 1 (range 1-2) from a saved analyze JSON."""
    proc = run(".", "--analysis", "analysis.json", "--format", "json", "--no-scan", cwd=DISAGREE)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    got = {(f["path"], f["line"], f["rule"]) for f in doc["findings"]}
    assert got == expected_findings(DISAGREE)
    wa511 = next(f for f in doc["findings"] if f["rule"] == "WA511")
    assert "configures 4 workers" in wa511["message"] and "recommends 1 (range 1-2)" in wa511["message"]
    row = doc["inventory"][0]
    assert (row["workers"], row["workers_source"], row["cpu_limit"]) == (4, "command", 4.0)  # JSON numbers


def test_saved_analysis_passes_when_config_agrees() -> None:
    proc = run(".", "--analysis", "analysis.json", "--no-scan", cwd=AGREE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mem0-server" in proc.stdout and "0 finding(s)" in proc.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_levels(fail_on: str, code: int) -> None:
    assert run(".", "--analysis", "analysis.json", "--no-scan", "--fail-on", fail_on, cwd=DISAGREE).returncode == code


def test_warnings_only_pass_at_error_level_and_fail_at_warning() -> None:
    root = FIXTURES / "dockerfile" / "formula"  # WA503 is an error; use a warnings-only tree instead
    assert run(".", "--no-scan", cwd=root).returncode == 1
    evidence = FIXTURES / "scan_evidence"
    assert run(".", "--target-ccu", "100", cwd=evidence).returncode == 0
    assert run(".", "--target-ccu", "100", "--fail-on", "warning", cwd=evidence).returncode == 1


@pytest.mark.parametrize("args", [("--format", "xml"), ("--fail-on", "critical"), ("--target-ccu", "0"),
                                  ("does-not-exist",), ("--analysis", "missing.json")])
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    proc = run(*args, cwd=AGREE)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_sarif_and_markdown() -> None:
    sarif = json.loads(run(".", "--analysis", "analysis.json", "--no-scan", "-f", "sarif", cwd=DISAGREE).stdout)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"WA504", "WA511", "WA512", "WA513", "WA514"}
    assert all(r["id"].startswith("WA5") for r in sarif["runs"][0]["tool"]["driver"]["rules"])
    md = run(".", "--analysis", "analysis.json", "--no-scan", "-f", "markdown", cwd=DISAGREE).stdout
    assert "## workeradvisor check" in md and "| docker-compose.yml | compose | mem0-server |" in md


def test_github_annotations_and_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    proc = run(".", "--analysis", "analysis.json", "--no-scan", "-f", "github", cwd=DISAGREE,
               env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith("::error file=docker-compose.yml,line=4,title=WA511") for line in lines)
    assert any(line.startswith("::warning file=docker-compose.yml,line=4,title=WA513") for line in lines)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("previous step\n") and "## workeradvisor check: failed" in text
    assert "| docker-compose.yml | compose | mem0-server | uvicorn | 4 |" in text


def test_github_format_without_summary_variable_writes_only_annotations() -> None:
    proc = run(".", "--no-scan", "-f", "github", cwd=AGREE)
    assert proc.returncode == 0 and proc.stdout == ""


def test_example_deployment_reports_what_its_readme_promises() -> None:
    root = Path(__file__).resolve().parent.parent
    proc = run("examples/deploy", "--node-cpus", "4", "--no-scan", "-f", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr
    got = {(f["path"].removeprefix("examples/deploy/"), f["rule"]) for f in json.loads(proc.stdout)["findings"]}
    assert got == {("Dockerfile", "WA506"), ("gunicorn.conf.py", "WA503"), ("docker-compose.yml", "WA507"),
                   ("docker-compose.yml", "WA510"), ("k8s/mem0-server.yaml", "WA501")}
