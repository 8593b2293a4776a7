"""One formatter interface and one writer for every report.

Every format is a ``Renderer``: ``render(result) -> str``. Each report kind has one table of
formats (``ANALYSIS_FORMATS``, ``LOAD_FORMATS``, ``PROFILE_FORMATS``), so a command never
special-cases a format and adding one is one line. ``validate_output`` runs before any work:
a report that cannot be written must not cost a 20 s measurement first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TypeVar

from workeradvisor.errors import UsageError

T_contra = TypeVar("T_contra", contravariant=True)


class Renderer(Protocol[T_contra]):
    """A report format: the whole report as one string (text formats render without colour)."""

    def __call__(self, result: T_contra, /) -> str: ...


def choose(formats: Mapping[str, Renderer[T_contra]], fmt: str) -> Renderer[T_contra]:
    """The renderer for ``fmt``; an unknown name is a usage error listing the known ones."""
    try:
        return formats[fmt]
    except KeyError:
        raise UsageError(f"--format must be one of {', '.join(formats)}, not {fmt!r}") from None


def validate_output(output: str | Path | None) -> Path | None:
    """Fail now (exit 2) when ``--output`` cannot be written: its directory must exist and be writable."""
    if output is None or str(output) == "":
        return None
    path = Path(output)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"--output {output}: is a directory")
    if not parent.is_dir():
        raise UsageError(f"--output {output}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--output {output}: not writable")
    return path


def write_report(text: str, output: str | Path | None) -> None:
    """The report to ``output`` (already validated) or to stdout."""
    if output is None or str(output) == "":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
