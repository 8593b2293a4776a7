"""Issue 12's input defects, each reproduced through the CLI in a subprocess.

The CLI runs under an address-space limit (``RLIMIT_AS``, set in the child before exec) so a
regression (an alias bomb expanding, ``/dev/zero`` read to the end) dies of MemoryError instead of
taking the machine down; every run has a timeout so a FIFO that blocks fails the test, not CI.
"""

from __future__ import annotations

import inspect
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_safeio import alias_bomb

pytestmark = [pytest.mark.live, pytest.mark.parallel]

ADDRESS_SPACE = 1024 * 1024 * 1024  # 1 GiB: the CLI needs ~300 MB of address space; the bombs wanted 2-4 GB


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workeradvisor", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_limit_memory, env={**os.environ, "NO_COLOR": "1"})


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The run failed cleanly: exit 2, no traceback, no MemoryError; returns the error line(s)."""
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("workeradvisor: error: ")]
    assert errors, proc.stderr
    return "\n".join(errors)


COMPOSE_BOMB = alias_bomb() + "services: {web: {command: uvicorn app:app}}\n"
K8S_BOMB = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n" + alias_bomb()


@pytest.mark.parametrize("name, text", [("docker-compose.yml", COMPOSE_BOMB), ("deploy.yaml", K8S_BOMB)])
def test_alias_bomb_in_check_is_refused(tmp_path: Path, name: str, text: str) -> None:
    assert len(text.encode()) < 600  # the bomb was 441 bytes
    (tmp_path / name).write_text(text, encoding="utf-8")
    start = time.monotonic()
    err = one_error_line(run_cli("check", str(tmp_path), "--no-scan"))
    assert f"{name}:" in err and "aliases expand to more than" in err
    assert time.monotonic() - start < 30


def test_dockerfile_symlink_to_dev_zero(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to("/dev/zero")
    err = one_error_line(run_cli("check", str(tmp_path), "--no-scan"))
    assert "Dockerfile: cannot read: it is a character device, not a regular file" in err


def test_fifo_named_dockerfile_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "Procfile").write_text("web: uvicorn app:app --reload\n", encoding="utf-8")
    proc = run_cli("check", str(tmp_path), "--no-scan", timeout=30)
    assert "Dockerfile: cannot read: it is a FIFO (named pipe), not a regular file" in proc.stderr
    assert "Procfile" in proc.stdout  # the other files are still checked
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr


def test_fifo_given_as_the_check_path(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    err = one_error_line(run_cli("check", str(tmp_path / "Dockerfile"), "--no-scan", timeout=30))
    assert "FIFO" in err


def test_request_spec_with_json_alias_bomb(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(alias_bomb(prefix="x-") + "requests:\n  - {path: /, method: POST, json: *i}\n", encoding="utf-8")
    assert spec.stat().st_size < 700
    err = one_error_line(run_cli("load", "http://127.0.0.1:9/", "--requests", str(spec), "--ccu", "1",
                                 "--stage-seconds", "0.1", "--warmup", "0"))
    assert "request spec" in err and "aliases expand to more than" in err


def test_request_spec_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "spec.yaml")
    err = one_error_line(run_cli("load", "http://127.0.0.1:9/", "--requests", str(tmp_path / "spec.yaml"),
                                 timeout=30))
    assert "spec.yaml: it is a FIFO" in err


def _tree_reads_through_safeio() -> bool:
    from workeradvisor.decide import tree

    return "safeio" in inspect.getsource(tree)


@pytest.mark.xfail(not _tree_reads_through_safeio(), raises=subprocess.TimeoutExpired, strict=True,
                   reason="decide/tree.py (H1) must read --decision through safeio.read_bounded")
def test_decision_file_fifo_does_not_hang(tmp_path: Path) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text('{"findings": []}', encoding="utf-8")
    os.mkfifo(tmp_path / "decision.yaml")
    err = one_error_line(run_cli("advise", "--scan", str(scan), "--decision", str(tmp_path / "decision.yaml"),
                                 timeout=20))
    assert "FIFO" in err


@pytest.mark.parametrize("text, message", [
    ('{"findings": [], "summary": {"x": NaN}}', "non-finite number"),
    ('{"findings": [' + "[" * 50_000 + "]" * 50_000 + "]}", "nested deeper than"),
    ('{"findings": [{"line": 1' + "0" * 400 + "e400}]}", "non-finite number"),
])
def test_advise_hostile_json_is_exit_2(tmp_path: Path, text: str, message: str) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text(text, encoding="utf-8")
    assert message in one_error_line(run_cli("advise", "--scan", str(scan)))


def test_advise_scan_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "scan.json")
    assert "FIFO" in one_error_line(run_cli("advise", "--scan", str(tmp_path / "scan.json"), timeout=30))


def test_import_dev_zero(tmp_path: Path) -> None:
    (tmp_path / "wrk.txt").symlink_to("/dev/zero")
    assert "character device" in one_error_line(run_cli("load", "--import", str(tmp_path / "wrk.txt")))
