"""How the pipeline tells the outside world what it is doing (the command draws it; tests stay quiet)."""

from __future__ import annotations

from workeradvisor.load import StageProgress


class Events:
    """Callbacks for progress. The default does nothing; ``commands.progress.PipelineView`` draws
    them on stderr (a live line on a terminal, one line per step elsewhere)."""

    def step(self, name: str, detail: str) -> None:
        """A step starts; the view times it from here (each step's own duration, not time since start)."""

    def done(self, name: str, summary: str) -> None:
        """The step last started (or one ladder) finished, with its headline numbers."""

    def note(self, text: str) -> None:
        """Something the user should know now (chosen routes, capped worker counts)."""

    def stage(self, progress: StageProgress) -> None:
        """Live figures of the running load stage."""


class QuietEvents(Events):
    pass
