"""The GitHub Action's run step (action.yml -> .github-action/run.sh) on a small repository.

The install step (`pip install $GITHUB_ACTION_PATH`) and the runner itself are GitHub's; here the
script runs with this environment's workeradvisor on PATH, as it does after that step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.live, pytest.mark.parallel]


def test_action_yml_runs_the_script_with_inputs_as_environment() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    run_steps = [s for s in action["runs"]["steps"] if "run" in s]
    assert any("$GITHUB_ACTION_PATH/.github-action/run.sh" in s["run"] for s in run_steps)
    # Inputs reach the script only through env (no ${{ }} inside a shell line: no script injection).
    assert all("${{" not in s["run"] for s in run_steps)


def _run(tmp_path: Path, command: str, fail_on: str = "error") -> tuple[subprocess.CompletedProcess[str], Path]:
    summary = tmp_path / f"summary-{command}.md"
    sarif = tmp_path / f"{command}.sarif"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_STEP_SUMMARY": str(summary), "WA_COMMAND": command, "WA_PATHS": ".", "WA_FAIL_ON": fail_on,
           "WA_SARIF": str(sarif), "WA_ARGS": ""}
    proc = subprocess.run(["bash", str(ROOT / ".github-action" / "run.sh")], cwd=tmp_path / "repo", env=env,
                          capture_output=True, text=True, timeout=120)
    return proc, sarif


def test_scan_writes_sarif_and_summary_and_gates(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text('import time\n\n\nasync def handler():\n    time.sleep(1)\n')
    proc, sarif = _run(tmp_path, "scan")
    assert proc.returncode == 1, proc.stderr
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["WA111"]
    assert "WA111" in (tmp_path / "summary-scan.md").read_text()
    proc, _ = _run(tmp_path, "scan", fail_on="never")
    assert proc.returncode == 0, proc.stderr


def test_check_and_a_bad_command(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text('FROM python:3.12\nCMD ["uvicorn", "app:app", "--reload"]\n')
    proc, sarif = _run(tmp_path, "check")
    assert json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["name"]
    assert "::" in proc.stdout  # GitHub workflow commands (annotations)
    bad = tmp_path / "repo"
    env = {**os.environ, "WA_COMMAND": "analyze; rm -rf /", "WA_PATHS": ".", "WA_FAIL_ON": "error",
           "WA_SARIF": "x", "WA_ARGS": ""}
    proc = subprocess.run(["bash", str(ROOT / ".github-action" / "run.sh")], cwd=bad, env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "command must be scan or check" in proc.stderr
