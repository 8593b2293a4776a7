"""``--output`` is validated before any work starts: a report that cannot be written must not cost
a measurement first (issue 9: a 17 s analyze was lost to a missing directory)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workeradvisor import cli
from workeradvisor.orchestrate import pipeline
from workeradvisor.report.output import validate_output, write_report

APP = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"
MISSING = "/nonexistent-dir-workeradvisor/sub/r.json"


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["workeradvisor", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return int(exc.value.code or 0)


@pytest.fixture()
def no_launch(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test if anything would be launched or measured."""
    calls: list[str] = []

    def boom(*_a: object, **_k: object) -> None:
        calls.append("launched")
        raise AssertionError("work started before --output was validated")

    monkeypatch.setattr(pipeline, "run_pipeline", boom)
    monkeypatch.setattr(pipeline, "serve", boom)
    monkeypatch.setattr("workeradvisor.commands.analyze.run_pipeline", boom)
    monkeypatch.setattr("workeradvisor.commands.profile.serve", boom)
    monkeypatch.setattr("workeradvisor.commands.load.run_ladder", boom)
    monkeypatch.setattr("workeradvisor.commands.scan.scan_paths", boom)
    return calls


@pytest.mark.parametrize("args", [
    ("analyze", APP),
    ("compare", APP, "--workers", "1,2"),
    ("advise", "--load", "x.json"),
    ("profile", "--app", APP),
    ("load", "http://127.0.0.1:9/"),
    ("scan", "."),
])
def test_missing_output_directory_is_exit_2_before_any_work(
    args: tuple[str, ...], no_launch: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = ["--output", MISSING]
    start = time.monotonic()
    code = _main(monkeypatch, *args, *flag)
    assert code == 2
    assert time.monotonic() - start < 2.0
    assert no_launch == []
    err = capsys.readouterr().err
    assert err.startswith("workeradvisor: error: --output") and "does not exist" in err
    assert len(err.strip().splitlines()) == 1


def _timed(*args: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """(result, wall seconds, child CPU seconds) of one CLI process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "workeradvisor", *args], capture_output=True, text=True, timeout=60)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.live
def test_analyze_missing_output_directory_real_process_under_2s() -> None:
    """Under 2 s of CPU for the whole process (Python start-up and the CLI import included: ~0.9 s).
    Wall time on a loaded shared box swings by seconds from start-up alone, so it is only bounded
    far below what launching and idling the app would take."""
    proc, wall, cpu = _timed("analyze", APP, "--output", MISSING)
    assert proc.returncode == 2, proc.stderr
    assert cpu < 2.0, cpu
    assert wall < 15.0, wall
    assert "directory" in proc.stderr and "Traceback" not in proc.stderr
    assert "launch" not in proc.stderr  # no pipeline step was announced


def test_validate_output_accepts_writable_and_rejects_directories(tmp_path: Path) -> None:
    assert validate_output(None) is None
    assert validate_output(tmp_path / "r.json") == tmp_path / "r.json"
    with pytest.raises(Exception, match="is a directory"):
        validate_output(tmp_path)
    write_report("hello\n", tmp_path / "r.json")
    assert (tmp_path / "r.json").read_text() == "hello\n"
