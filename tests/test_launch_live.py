"""Live launch modes (issue 13, acceptance 1 and 2): gunicorn, --cmd, --python, attach, --env, datasette.

Each test runs the real CLI with short windows; the venvs are built in the test with ``python -m
venv`` + pip (bounded; skipped with the reason when the package registry cannot be reached).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import LOAD_TARGET, ROOT, alive, gone, run_cli

from workeradvisor.environment import detect_environment

pytestmark = pytest.mark.live

APPS = Path(__file__).parent / "apps"
SHORT = ("--idle-seconds", "1", "--profile-seconds", "1.5", "--stage-seconds", "2", "--warmup", "0.5")
PIP_TIMEOUT_S = 240


def _json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr[-2500:]
    return json.loads(proc.stdout)


def _needs_two_workers() -> None:
    if detect_environment().usable_workers < 2:
        pytest.skip("fewer than 2 usable cores: a 2-worker run would be capped")


def _venv(path: Path, *packages: str) -> Path:
    """A fresh venv at ``path`` with ``packages`` (skip when the registry is unreachable)."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120, capture_output=True)
    python = path / "bin" / "python"
    if packages:
        try:
            done = subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], capture_output=True,
                                  text=True, timeout=PIP_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            pytest.skip(f"pip install {' '.join(packages)} took over {PIP_TIMEOUT_S} s (registry unreachable?)")
        if done.returncode != 0:
            pytest.skip(f"pip install {' '.join(packages)} failed (registry unreachable?): {done.stderr[-300:]}")
    return python


def _by_workers(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {load["workers"]: load for load in doc["load"]}


def _all_gone(doc: dict[str, Any]) -> None:
    """Every server process the run started (master, workers, the --cmd tree) was stopped by PID."""
    pids = {p["pid"] for load in doc["load"] for s in load["stages"] for p in s["server"]["processes"]}
    assert pids and all(gone(pid) for pid in pids), [p for p in pids if not gone(p)]


def _roles(load: dict[str, Any]) -> list[str]:
    stage = max(load["stages"], key=lambda s: s["requests"])
    return sorted(p["role"] for p in stage["server"]["processes"])


def test_gunicorn_one_vs_two_workers() -> None:
    _needs_two_workers()
    doc = _json(run_cli("analyze", f"{ROOT / 'examples' / 'cpu_bound.py'}:app", "--server", "gunicorn",
                        "--workers", "1,2", "--pairs", "2", "--ccu", "4", *SHORT, "--format", "json", timeout=240))
    loads = _by_workers(doc)
    assert set(loads) == {1, 2}
    # the master is counted (a supervisor in the totals) but is not a worker
    assert _roles(loads[1]) == ["supervisor", "worker"]
    assert _roles(loads[2]) == ["supervisor", "worker", "worker"]
    stage = max(loads[2]["stages"], key=lambda s: s["requests"])
    procs = stage["server"]["processes"]
    assert stage["server"]["total_cpu_percent"] == pytest.approx(sum(p["cpu_percent"] for p in procs), abs=0.1)
    master = next(p["pid"] for p in procs if p["role"] == "supervisor")
    assert master not in [w["pid"] for w in doc["profile"]["workers"]]  # the profile read a worker's loop
    assert doc["profile"]["per_request"]["requests"] > 0
    deploy = doc["deploy"]
    assert deploy["mode"] == "gunicorn"
    assert deploy["command"].startswith("gunicorn cpu_bound:app -k uvicorn.workers.UvicornWorker -w ")
    assert f"-w {doc['recommendation']['workers']} " in deploy["command"]
    _all_gone(doc)


def test_cmd_with_port_and_workers_placeholders() -> None:
    _needs_two_workers()
    cmd = (f"{sys.executable} -m uvicorn load_target:app --app-dir {APPS} --host {{host}} --port {{port}} "
           "--workers {workers} --log-level warning")
    doc = _json(run_cli("analyze", LOAD_TARGET, "--cmd", cmd, "--workers", "1,2", "--pairs", "2", "--ccu", "4",
                        "--path", "/cpu", *SHORT, "--format", "json", timeout=240))
    loads = _by_workers(doc)
    assert set(loads) == {1, 2}
    assert _roles(loads[1]) == ["worker"]
    assert _roles(loads[2]) == ["supervisor", "worker", "worker"]  # found from the listening socket's tree
    assert all(s["requests"] > 0 and s["errors"]["total"] == 0 for load in loads.values() for s in load["stages"])
    assert doc["deploy"]["mode"] == "cmd" and "--port 8000" in doc["deploy"]["command"]
    assert "{workers}" not in doc["deploy"]["command"] and "--host 0.0.0.0" in doc["deploy"]["command"]
    _all_gone(doc)


@pytest.mark.parallel
def test_cmd_workers_need_the_placeholder() -> None:
    proc = run_cli("analyze", "--cmd", "srv --port {port}", "--workers", "1,2")
    assert proc.returncode == 2 and "{workers}" in proc.stderr and not proc.stdout


@pytest.fixture(scope="module")
def six_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    check = subprocess.run([sys.executable, "-c", "import six"], capture_output=True, check=False)
    if check.returncode == 0:
        pytest.skip("workeradvisor's own environment has six: the test needs an app dependency it lacks")
    return _venv(tmp_path_factory.mktemp("appvenv") / "venv", "uvicorn", "six")


def test_python_runs_the_app_in_its_own_venv(six_venv: Path) -> None:
    target = f"{APPS / 'needs_six.py'}:app"
    doc = _json(run_cli("analyze", target, "--python", str(six_venv), "--ccu", "2", *SHORT, "--format", "json",
                        timeout=200))
    assert doc["deploy"]["python"] == str(six_venv) and doc["deploy"]["python_source"] == "--python"
    assert doc["recommendation"]["verdict"]
    assert all(s["requests"] > 0 and s["errors"]["total"] == 0 for s in doc["load"][0]["stages"])
    # our own interpreter (the repository's environment, found next to the target) cannot import the app
    own = run_cli("analyze", target, "--ccu", "2", *SHORT, "--format", "json", timeout=120)
    assert own.returncode == 3 and "No module named 'six'" in own.stderr
    assert "uvicorn runs under " + sys.executable in own.stderr or ".venv" in own.stderr


@pytest.mark.parallel
def test_missing_server_package_names_the_install_command(tmp_path: Path) -> None:
    bare = _venv(tmp_path / "bare")
    proc = run_cli("analyze", f"{APPS / 'needs_six.py'}:app", "--python", str(bare), "--server", "gunicorn")
    assert proc.returncode == 3 and not proc.stdout  # no verdict without a server
    assert f"install it with: {bare} -m pip install gunicorn" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_attach_to_a_running_server(server: Any) -> None:
    doc = _json(run_cli("analyze", "--url", server.base_url, "--path", "/cpu", "--ccu", "2", *SHORT, "--format", "json",
                        timeout=200))
    assert alive(server.pid)  # attaching never stops the server
    assert doc["deploy"]["mode"] == "attach" and doc["deploy"]["command"] is None
    assert [x["pid"] for x in doc["profile"]["workers"]] == [server.pid]  # PID from the listening socket
    assert [load["workers"] for load in doc["load"]] == [1]  # nothing restarted
    usable = detect_environment().usable_workers
    assert doc["deploy"]["predicted_only"] == list(range(2, usable + 1))
    if usable >= 2:
        assert any("predicted, not measured" in n for n in doc["notes"])
    # the explicit --pid path: the shortest windows (this run checks the plumbing, the first one the figures)
    explicit = run_cli("analyze", "--url", server.base_url, "--pid", str(server.pid), "--path", "/cpu", "--ccu", "2",
                       "--idle-seconds", "0.5", "--profile-seconds", "1", "--stage-seconds", "1", "--warmup", "0.3",
                       "--format", "markdown", timeout=200)
    assert explicit.returncode == 0, explicit.stderr[-2000:]
    assert "no restarts" in explicit.stdout


@pytest.mark.parallel
def test_attach_to_nothing_is_a_target_error() -> None:
    from workeradvisor.launch import free_port

    proc = run_cli("analyze", "--url", f"http://127.0.0.1:{free_port()}", "--pid", "1")
    assert proc.returncode == 3 and "nothing answers" in proc.stderr and not proc.stdout


def _idle_cpu(*env: str) -> float:
    doc = _json(run_cli("profile", "--app", f"{ROOT / 'examples' / 'mem0_like' / 'app.py'}:app", "--idle",
                        "--duration", "2", "--format", "json", *env, timeout=90))
    return sum(p["cpu_percent"] for p in doc["idle"]["processes"])


def test_env_turns_the_telemetry_thread_off() -> None:
    on, off = _idle_cpu(), _idle_cpu("--env", "MEM0_TELEMETRY=False")
    assert on > 25 and off < 10, (on, off)


def test_env_file_reaches_analyze(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("MEM0_TELEMETRY=False\n")
    doc = _json(run_cli("analyze", f"{ROOT / 'examples' / 'mem0_like' / 'app.py'}:app", "--env-file",
                        str(env_file), "--path", "/", "--ccu", "2", *SHORT, "--format", "json", timeout=200))
    assert sum(p["cpu_percent"] for p in doc["profile"]["idle"]["processes"]) < 10


@pytest.fixture(scope="module")
def datasette_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv(tmp_path_factory.mktemp("datasette") / "venv", "datasette")


def test_datasette_from_its_own_venv_gets_a_verdict(datasette_venv: Path) -> None:
    """Acceptance 2: a real third-party ASGI service, launched by its own command from its own venv."""
    doc = _json(run_cli("analyze", "--cmd", "datasette serve --host {host} --port {port}", "--python",
                        str(datasette_venv), "--path", "/-/versions.json", "--ccu", "2,6", *SHORT, "--format",
                        "json", timeout=240))
    rec = doc["recommendation"]
    assert rec["verdict"] and rec["workers"] >= 1 and rec["path"]
    stages = doc["load"][0]["stages"]
    assert len(stages) == 2 and all(s["requests"] > 0 and s["errors"]["total"] == 0 for s in stages)
    assert doc["profile"]["per_request"]["requests"] > 0  # evidence: loop CPU per request from the live process
    assert doc["deploy"]["command"] == "datasette serve --host 0.0.0.0 --port 8000"
    _all_gone(doc)


@pytest.mark.parallel
def test_attach_refuses_a_non_python_listener() -> None:
    """A published container port is held by docker-proxy, not the app: say so, ask for --pid."""
    import shutil
    import socket
    import time

    from workeradvisor.launch import free_port

    perl = shutil.which("perl")
    if perl is None:
        pytest.skip("no perl to hold a port with a non-Python process")
    port = free_port()
    hold = ('use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], '
            'Listen => 16, ReuseAddr => 1) or die; sleep 60')
    holder = subprocess.Popen([perl, "-e", hold, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        proc = run_cli("analyze", "--url", f"http://127.0.0.1:{port}")
        assert proc.returncode == 3 and "is not Python; give --pid" in proc.stderr and not proc.stdout
    finally:
        holder.kill()
        holder.wait()
