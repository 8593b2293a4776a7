"""How the measured server was run, and the command line to deploy the recommendation with.

Why a model: "run 2 workers" is only actionable with the exact command (uvicorn's ``--workers``,
gunicorn's ``-w`` with the UvicornWorker class, or the team's own ``--cmd``); text, markdown and
JSON all print the same value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Deploy:
    mode: str  # uvicorn | gunicorn | cmd | attach
    command: str | None  # the deploy line for the recommended workers (None when attached: not ours to say)
    workers: int
    python: str = ""  # the interpreter the measured server ran under ("" for --cmd / attach)
    python_source: str = ""  # where it came from: --python, $VIRTUAL_ENV, .venv next to the target...
    predicted_only: tuple[int, ...] = ()  # attach: worker counts the capacity model predicts, not measured
    hint: str = ""  # e.g. --cmd without {workers}: how to get the recommended count anyway
    preload: bool = False  # gunicorn --preload: workers share the app's import-time memory copy-on-write

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "command": self.command, "workers": self.workers, "python": self.python,
                "python_source": self.python_source, "predicted_only": list(self.predicted_only), "hint": self.hint,
                "preload": self.preload}

    @classmethod
    def from_dict(cls, data: Any) -> Deploy | None:
        if not isinstance(data, dict) or "mode" not in data:
            return None
        return cls(str(data["mode"]), data.get("command"), int(data.get("workers") or 1), str(data.get("python") or ""),
                   str(data.get("python_source") or ""), tuple(int(w) for w in data.get("predicted_only") or ()),
                   str(data.get("hint") or ""), data.get("preload") is True)

    def line(self) -> str:
        """One sentence for text and markdown reports."""
        if self.mode == "attach":
            return "attached to a running server: no restarts, so other worker counts are predicted, not measured"
        return f"deploy with: {self.command}" + (f" ({self.hint})" if self.hint else "")
