"""Progress on stderr: one line per step off a terminal, each with the step's OWN duration; a live
spinner line on a terminal. Driven in-process with a fake clock (no servers, no sleeps)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from workeradvisor.commands.progress import PipelineView, StageLine, StepDisplay, seconds
from workeradvisor.load import StageProgress
from workeradvisor.report.text_fit import report_width


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _log_display(clock: Clock) -> tuple[StepDisplay, io.StringIO]:
    buf = io.StringIO()
    return StepDisplay(Console(file=buf, force_terminal=False, width=80), clock=clock), buf


def _tick(label: str, elapsed: float, total: float = 6.0, requests: int = 100, errors: int = 0) -> StageProgress:
    return StageProgress(label=label, elapsed_s=elapsed, total_s=total, measuring=elapsed >= 1, requests=requests,
                         rps=requests / max(elapsed, 0.1), p99_ms=12.0, errors=errors)


def test_each_step_line_carries_its_own_duration_not_the_time_since_start() -> None:
    clock = Clock()
    display, buf = _log_display(clock)
    view = PipelineView(display=display)
    view.step("idle profile", "2 s with no traffic")
    clock.t += 6.1
    view.done("idle profile", "12% CPU")
    view.step("profiled run", "1 CCU for 3 s")
    clock.t += 8.4
    view.done("profiled run", "40 requests")
    view.close()
    lines = buf.getvalue().splitlines()
    assert lines == ["[3/6] idle profile: 2 s with no traffic -> 12% CPU (6.1 s)",
                     "[4/6] profiled run: 1 CCU for 3 s -> 40 requests (8.4 s)"]  # not 14.5 s


def test_off_a_terminal_one_line_per_step_and_no_animation() -> None:
    clock = Clock()
    display, buf = _log_display(clock)
    view = PipelineView(display=display)
    view.step("load ladder", "1 worker, CCU 10,30")
    for t in range(1, 40):
        clock.t += 0.25
        view.stage(_tick("ccu 10" if t < 20 else "ccu 30", t / 4))
    view.done("load ladder", "1 worker(s): 10 CCU 500 RPS")
    view.close()
    out = buf.getvalue()
    assert out.count("\n") == 1 and "\r" not in out and "\x1b" not in out
    assert out.startswith("[5/6] load ladder: 1 worker, CCU 10,30 -> 1 worker(s): 10 CCU 500 RPS (9.8 s)")


def test_a_long_log_line_is_not_wrapped() -> None:
    clock = Clock()
    display, buf = _log_display(clock)
    display.start("[1/6] scan", "/a/very/long/path/" * 6)
    display.finish("3 file(s), 2 finding(s)")
    assert buf.getvalue().count("\n") == 1


def test_a_step_cut_short_by_an_error_prints_nothing() -> None:
    """The error line that follows is the failed command's only line (README: one line on stderr)."""
    clock = Clock()
    display, buf = _log_display(clock)
    display.start("[4/6] profiled run", "1 CCU for 3 s")
    clock.t += 2.0
    display.close()
    assert buf.getvalue() == ""


def test_load_stages_each_get_a_line_when_they_end() -> None:
    clock = Clock()
    display, buf = _log_display(clock)
    line = StageLine(display.console, display=display)
    for label, n in (("ccu 10", 500), ("ccu 30", 1400)):
        for e in (0.5, 3.0, 6.0, 6.2):  # a late tick after the stage's end is ignored
            clock.t += 0.5 if e < 6.2 else 0.1
            line(_tick(label, e, requests=n))
    line.close()
    assert buf.getvalue().splitlines() == ["stage ccu 10: 500 responses, 0 error(s) (1.0 s)",
                                           "stage ccu 30: 1,400 responses, 0 error(s) (1.0 s)"]


def test_on_a_terminal_the_running_step_is_a_live_line_with_the_stage_figures() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80, color_system=None)
    clock = Clock()
    display = StepDisplay(console, clock=clock)
    view = PipelineView(display=display)
    try:
        view.step("load ladder", "1 worker, CCU 10")
        view.stage(_tick("ccu 10", 3.0, requests=300))
        assert display.progress is not None
        (task,) = display.progress.tasks
        assert "ccu 10 measuring 3/6 s, ~100 req/s, p99 12 ms, 0 err" in task.description
        clock.t += 4.0
        view.done("load ladder", "1 worker(s): 10 CCU 100 RPS")
        assert display.progress.tasks == []
    finally:
        view.close()
    assert display.progress is None
    assert "[5/6] load ladder: 1 worker, CCU 10 -> 1 worker(s): 10 CCU 100 RPS (4.0 s)" in buf.getvalue()


@pytest.mark.parametrize(("value", "text"), [(0.04, "0.0 s"), (6.14, "6.1 s"), (47.6, "48 s"), (125.0, "2 min 05 s")])
def test_seconds(value: float, text: str) -> None:
    assert seconds(value) == text


def test_report_width_follows_columns_else_a_stable_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert report_width() == 80
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr("sys.stdout", io.StringIO())  # a pipe: not a terminal
    assert report_width() == 120 and report_width(160) == 160


def test_profile_keeps_stderr_quiet_off_a_terminal() -> None:
    """``profile``'s stderr is its one error line when it fails (docs/profile.md), so off a
    terminal its steps print nothing; on a terminal they are live lines like the others."""
    clock = Clock()
    buf = io.StringIO()
    display = StepDisplay(Console(file=buf, force_terminal=False), clock=clock, log_lines=False)
    display.start("[1/2] launch", "uvicorn app:app, 1 worker(s)")
    clock.t += 1.5
    assert display.finish("pid 1 on http://127.0.0.1:1") == 1.5
    display.close()
    assert buf.getvalue() == ""
