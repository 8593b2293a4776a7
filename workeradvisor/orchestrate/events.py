"""How the pipeline tells the outside world what it is doing (the command draws it; tests stay quiet)."""

from __future__ import annotations

from workeradvisor.load import StageProgress


class Events:
    """Callbacks for progress. The default does nothing; ``commands.analyze`` draws them with rich."""

    def step(self, name: str, detail: str) -> None:
        """A step starts."""

    def done(self, name: str, summary: str) -> None:
        """A step (or one ladder) finished, with its headline numbers."""

    def note(self, text: str) -> None:
        """Something the user should know now (chosen routes, capped worker counts)."""

    def stage(self, progress: StageProgress) -> None:
        """Live figures of the running load stage."""


class QuietEvents(Events):
    pass
