"""The pre-commit hook runs the real command and fails on findings."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.live
def test_hook_runs_the_scan_and_fails_on_findings(tmp_path: Path) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "workeradvisor"]
    assert hook["language"] == "python" and "python" in hook["types"]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "workeradvisor"  # the console script declared in pyproject.toml
    cmd = [sys.executable, "-m", "workeradvisor", *entry[1:], *hook.get("args", [])]
    assert hook["pass_filenames"] is True  # pre-commit appends the staged files it selected
    (tmp_path / "clean.py").write_text("async def ok():\n    return 1\n")
    assert subprocess.run([*cmd, "clean.py"], cwd=tmp_path, capture_output=True, timeout=60).returncode == 0
    (tmp_path / "bad.py").write_text("import time\n\nasync def handler():\n    time.sleep(1)\n")
    proc = subprocess.run([*cmd, "clean.py", "bad.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "bad.py:4" in proc.stdout
    only_clean = subprocess.run([*cmd, "clean.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert only_clean.returncode == 0 and "bad.py" not in only_clean.stdout  # findings only in the given files
