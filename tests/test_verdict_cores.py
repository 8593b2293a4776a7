"""Acceptance 5: under a fake cgroup v1 quota of 1.5 CPUs, every command gets the same answer: at most
1 worker (the whole cores the quota gives), never the 2 a rounded-up count would allow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analyze_helpers import run_cli
from decide_factories import ladder

from workeradvisor.environment import SYSROOT_ENV
from workeradvisor.report import load_json

APP = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"
pytestmark = pytest.mark.live  # each command runs as its own process, under the fake tree
QUICK = ("--idle-seconds", "1", "--profile-seconds", "1", "--stage-seconds", "1", "--warmup", "0.5", "--ccu", "2,4",
         "--path", "/delay50")


def _quota_root(tmp_path: Path) -> dict[str, str]:
    """A /proc + /sys tree with a cgroup v1 CFS quota of 150000/100000 on 2 online CPUs."""
    root = tmp_path / "sysroot"
    files = {
        "proc/self/cgroup": "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/\n",
        "proc/self/status": "Name:\tpython\nCpus_allowed_list:\t0-1\n",
        "proc/meminfo": "MemTotal:       8388608 kB\n",
        "sys/devices/system/cpu/online": "0-1\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000\n",
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return {SYSROOT_ENV: str(root)}


def _one_worker_answer(doc: dict) -> None:
    envd = doc["environment"]
    assert envd["cores"] == 1.5 and "cgroup v1" in envd["cores_source"] and envd["usable_workers"] == 1
    assert doc["recommendation"]["workers"] == 1 and doc["recommendation"]["workers_range"][1] <= 1


def test_advise_under_a_v1_quota_of_one_and_a_half(tmp_path: Path) -> None:
    saved = tmp_path / "load.json"  # CPU-hot ladder: the tree asks for 2 workers, the quota allows 1
    saved.write_text(load_json.render(ladder(1, rps=(300, 600, 700), cpu=(60, 95, 99))))
    proc = run_cli("advise", "--load", str(saved), "--format", "json", env=_quota_root(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _one_worker_answer(doc)
    assert any("capped at 1 worker(s)" in n for n in doc["recommendation"]["notes"])


def test_check_under_a_v1_quota_of_one_and_a_half(tmp_path: Path) -> None:
    env = _quota_root(tmp_path)
    for workers, flagged in ((2, True), (1, False)):
        app = tmp_path / f"svc{workers}"
        app.mkdir()
        (app / "Procfile").write_text(f"web: uvicorn app:app --host 0.0.0.0 --workers {workers}\n")
        proc = run_cli("check", str(app), "--format", "json", env=env)
        rules = [f["rule"] for f in json.loads(proc.stdout)["findings"]]
        assert ("WA502" in rules) is flagged, (workers, proc.stdout[-800:])
        if flagged:
            msg = next(f["message"] for f in json.loads(proc.stdout)["findings"] if f["rule"] == "WA502")
            assert "1.5 CPU" in msg


@pytest.mark.parametrize("command", ["analyze", "compare"])
def test_analyze_and_compare_under_a_v1_quota_of_one_and_a_half(tmp_path: Path, command: str) -> None:
    proc = run_cli(command, APP, *QUICK, "--workers", "1,2", "--format", "json", env=_quota_root(tmp_path),
                   timeout=200)
    assert proc.returncode == 0, proc.stderr[-1500:]
    doc = json.loads(proc.stdout)
    _one_worker_answer(doc)
    assert any("capped: 2 worker(s) not measured; the process has 1.5 cores" in n for n in doc["notes"])
    assert sorted({x["workers"] for x in doc["load"]}) == [1]
