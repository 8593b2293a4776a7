"""Progress on stderr for the long commands (analyze, compare, profile, load); the report goes to stdout.

On a terminal every running step is a spinner line with the step's own elapsed time (and, during
a load stage, its live RPS / p99 / errors); when the step ends the line is replaced by a permanent
one with the step's own duration. Elsewhere (CI logs, a pipe) there is no animation: exactly one
line per step, printed when it ends. Durations are always the step's own, never time since start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.text import Text

from workeradvisor.load import StageProgress
from workeradvisor.models.profile import ProfileResult
from workeradvisor.orchestrate.events import Events
from workeradvisor.orchestrate.pipeline import STEPS
from workeradvisor.report.text_fit import labelled


def seconds(s: float) -> str:
    """A step's duration: ``0.4 s``, ``6.1 s``, ``48 s``, ``2 min 05 s``."""
    if s < 10:
        return f"{s:.1f} s"
    if s < 120:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {int(s % 60):02d} s"


def stage_figures(p: StageProgress, label: bool = True) -> str:
    """The running stage in a few words (the live line must fit 80 columns with the step's name).
    Rolling figures from the generator's last tick, hence ``~``; the report has the measured ones."""
    phase = "measuring" if p.measuring else "warm-up"
    p99 = f"{p.p99_ms:,.0f} ms" if p.requests else "-"
    return (f"{p.label + ' ' if label else ''}{phase} {p.elapsed_s:.0f}/{p.total_s:.0f} s, ~{p.rps:,.0f} req/s, "
            f"p99 {p99}, {p.errors} err")


class _Elapsed(ProgressColumn):
    """The running step's own time, in the same units as the line it ends with."""

    def render(self, task: Task) -> Text:
        return Text(seconds(task.elapsed or 0.0), style="yellow")


@dataclass
class _Step:
    head: str  # "[3/6] idle profile"
    detail: str
    started: float
    task: TaskID | None = None


class StepDisplay:
    """Steps with their own durations on ``console`` (stderr); see the module docstring."""

    def __init__(self, console: Console | None = None, clock: Callable[[], float] = time.monotonic,
                 log_lines: bool = True) -> None:
        self.console = console or Console(stderr=True)
        self.clock = clock
        self.log_lines = log_lines  # False: nothing at all off a terminal (profile keeps stderr to its error)
        self.step: _Step | None = None
        self.progress: Progress | None = None

    @property
    def live(self) -> bool:
        return self.console.is_terminal and not self.console.is_dumb_terminal

    def _now(self) -> float:
        return self.clock()

    def _progress(self) -> Progress:
        if self.progress is None:
            self.progress = Progress(SpinnerColumn(), _Elapsed(), TextColumn("{task.description}"),
                                     console=self.console, transient=True, refresh_per_second=4,
                                     redirect_stdout=False)  # stdout is the report's alone
            self.progress.start()
        return self.progress

    def start(self, head: str, detail: str = "") -> None:
        """A step begins (an unfinished previous one is dropped: see ``close``)."""
        self._drop()
        self.step = _Step(head, detail, self._now())
        if self.live:
            self.step.task = self._progress().add_task(self._describe(self.step, ""), total=None)

    def update(self, text: str) -> None:
        """Live detail of the running step (terminal only; logs get the step's line at its end)."""
        step = self.step
        if step is not None and step.task is not None and self.progress is not None:
            self.progress.update(step.task, description=self._describe(step, text))

    def finish(self, summary: str) -> float:
        """The step ended: one permanent line with its own duration. Returns that duration."""
        step, self.step = self.step, None
        if step is None:
            return 0.0
        took = self._now() - step.started
        if step.task is not None and self.progress is not None:
            self.progress.remove_task(step.task)
            self.progress.refresh()  # else the next print re-draws the finished step's stale line
        if not (self.live or self.log_lines):
            return took
        line = Text.assemble((step.head, "bold cyan"), f": {step.detail}" if step.detail else "",
                             (" -> " if step.detail else ": ") if summary else "", summary,
                             (f" ({seconds(took)})", "dim"))
        self.console.print(line, highlight=False, soft_wrap=not self.live)  # a log line stays one line
        return took

    def note(self, text: str) -> None:
        if not (self.live or self.log_lines):
            return
        if self.live:  # wrapped at spaces, hanging under itself
            labelled(self.console, Text("      note", "yellow"), Text(text))
        else:
            self.console.print(Text.assemble(("      note ", "yellow"), text), highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Stop the animation. A step still open (an error, Ctrl-C) prints nothing: the error line
        that follows says what happened, and stays the only line of a failed command."""
        self._drop()
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _drop(self) -> None:
        step, self.step = self.step, None
        if step is not None and step.task is not None and self.progress is not None:
            self.progress.remove_task(step.task)
            self.progress.refresh()

    @staticmethod
    def _describe(step: _Step, live: str) -> str:
        text = f"[bold cyan]{escape(step.head)}[/]"
        if live:  # the live figures replace the detail: the line must not outgrow the terminal
            return f"{text}: {escape(live)}"
        return f"{text}: {escape(step.detail)}" if step.detail else text


class StageLine:
    """``load``'s progress: each stage of the ladder is a step (live figures on a terminal)."""

    def __init__(self, console: Console, indent: str = "", display: StepDisplay | None = None) -> None:
        self.display = display or StepDisplay(console)
        self.indent = indent
        self.label = ""
        self.last: StageProgress | None = None

    def __call__(self, p: StageProgress) -> None:
        if p.label != self.label:
            self._end_stage()
            self.label = p.label
            self.display.start(f"{self.indent}stage {p.label}")
        elif self.last is None:
            return  # this stage's line is out already; the generator is winding down
        self.last = p
        self.display.update(stage_figures(p, label=False))
        if p.elapsed_s >= p.total_s:
            self._end_stage()

    def _end_stage(self) -> None:
        p = self.last
        if p is not None and self.display.step is not None:
            self.display.finish(f"{p.requests:,} responses, {p.errors} error(s)")
        self.last = None

    def close(self) -> None:
        self._end_stage()
        self.display.close()


class PipelineView(Events):
    """``analyze``/``compare``: the pipeline's steps numbered ``[n/6]``, each with its own duration."""

    def __init__(self, console: Console | None = None, display: StepDisplay | None = None) -> None:
        self.display = display or StepDisplay(console)

    def step(self, name: str, detail: str) -> None:
        number = STEPS.index(name) + 1 if name in STEPS else 0
        self.display.start(f"[{number}/{len(STEPS)}] {name}", detail)

    def done(self, name: str, summary: str) -> None:
        self.display.finish(summary)

    def note(self, text: str) -> None:
        self.display.note(text)

    def stage(self, progress: StageProgress) -> None:
        self.display.update(stage_figures(progress))

    def close(self) -> None:
        self.display.close()


def window_hook(display: StepDisplay, attribution: bool) -> Callable[[str], None]:
    """``profile_server``'s ``on_window``: name the phase the running profile step is in."""
    after = "py-spy attribution pass" if attribution else "reading the counters"

    def hook(edge: str) -> None:
        display.update("headline window" if edge == "start" else after)

    return hook


def profile_summary(result: ProfileResult) -> str:
    """The headline of a finished profile, for its step line."""
    busy = [w.loop.busy_fraction for w in result.workers if w.loop is not None]
    parts = [f"{len(result.workers)} worker(s)"]
    if busy:
        parts.append(f"loop busy {max(busy):.0%}")
    if result.per_request is not None:
        parts.append(f"{result.per_request.loop_cpu_s_per_request * 1000:.1f} ms loop CPU per request")
    if result.idle is not None:
        parts.append(f"{sum(c for _, c in result.idle.process_cpu_percent):.0f}% CPU at idle")
    return ", ".join(parts)
