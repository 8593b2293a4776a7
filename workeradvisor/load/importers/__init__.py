"""Read other load tools' results into the same ``LoadResult`` (``workeradvisor load --import FILE``).

Formats: wrk text (several runs in one file become a ladder) and wrk JSON lines from the shipped
``wrk_report.lua``; oha ``--output-format json``; Locust ``--csv`` stats / stats_history; k6
``--summary-export``. Only what the tool measured is filled in: no server or generator CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

from workeradvisor.errors import ConfigError
from workeradvisor.load.importers import k6, locust, oha, wrk
from workeradvisor.models.load import LoadResult
from workeradvisor.safeio import MAX_RESULT_FILE, read_bounded

FORMATS = ("auto", "wrk", "oha", "locust", "k6")


def detect(path: Path, text: str) -> str:
    head = text.lstrip()[:1]
    if head == "{":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and "latencyPercentiles" in data:
            return "oha"
        if isinstance(data, dict) and "metrics" in data:
            return "k6"
    if "WORKERADVISOR_WRK_JSON" in text or "Running " in text and " test @ " in text:
        return "wrk"
    first = text.splitlines()[0] if text else ""
    if "Requests/s" in first and ("Request Count" in first or "User Count" in first):
        return "locust"
    raise ConfigError(f"cannot tell which tool wrote {path}; pass --import-format wrk|oha|locust|k6")


def import_file(path: str, fmt: str = "auto", ccu: int | None = None) -> LoadResult:
    """Parse ``path``; ``ccu`` names the concurrency when the file does not say (oha, wrk JSON alone)."""
    p = Path(path)
    try:
        text = read_bounded(p, "file to import", MAX_RESULT_FILE, errors="replace")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if fmt not in FORMATS:
        raise ConfigError(f"unknown import format {fmt!r}; use one of {', '.join(FORMATS)}")
    kind = detect(p, text) if fmt == "auto" else fmt
    try:
        if kind == "wrk":
            return wrk.parse(text, ccu)
        if kind == "oha":
            return oha.parse(text, ccu)
        if kind == "k6":
            return k6.parse(text, ccu)
        return locust.parse(p, text)
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ConfigError(f"{path} is not valid {kind} output: {exc}") from None
