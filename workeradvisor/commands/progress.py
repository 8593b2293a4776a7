"""The live one-line stage display (RPS, p99, errors) shared by ``load`` and ``analyze``."""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from workeradvisor.load import StageProgress


class StageLine:
    """A transient line on ``console`` updated per progress tick; drawn only on a terminal."""

    def __init__(self, console: Console, indent: str = "") -> None:
        self.console = console
        self.indent = indent
        self.live: Live | None = None

    def __call__(self, p: StageProgress) -> None:
        if not self.console.is_terminal:
            return
        if self.live is None:
            self.live = Live(console=self.console, refresh_per_second=4, transient=True)
            self.live.start()
        phase = "measuring" if p.measuring else "warming up"
        self.live.update(Text(f"{self.indent}{p.label}: {phase} {p.elapsed_s:4.1f}/{p.total_s:.0f}s  "
                              f"~{p.rps:,.0f} req/s  p99 {p.p99_ms:.1f} ms  errors {p.errors}"))

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
