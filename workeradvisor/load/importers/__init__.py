"""Read other load tools' results into the same ``LoadResult`` (``workeradvisor load --import FILE``).

Formats: wrk text with or without ``--latency`` (several runs in one file become a ladder) and wrk
JSON lines from the shipped ``wrk_report.lua``; oha ``--output-format json``; Locust ``--csv``
stats / stats_history; k6 ``--summary-export``, ``handleSummary`` JSON and ``--out json`` lines;
hey's summary text. Only what the tool measured is filled in: no server or generator CPU, and a
percentile the tool did not report is ``None``. Each tool's own RPS is kept. A non-finite, negative
or absurd number is a one-line ConfigError naming the field (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from workeradvisor.errors import ConfigError
from workeradvisor.load.importers import hey, k6, locust, oha, wrk
from workeradvisor.load.importers.common import BadNumber
from workeradvisor.models.load import LoadResult
from workeradvisor.safeio import MAX_RESULT_FILE, read_bounded

FORMATS = ("auto", "wrk", "oha", "locust", "k6", "hey")


def detect(path: Path, text: str) -> str:
    head = text.lstrip()[:1]
    if head == "{":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and "latencyPercentiles" in data:
            return "oha"
        if isinstance(data, dict) and "metrics" in data:
            return "k6"
        if k6.is_stream(text):
            return "k6"
    if "WORKERADVISOR_WRK_JSON" in text or "Running " in text and " test @ " in text:
        return "wrk"
    if hey.is_hey(text):
        return "hey"
    first = text.splitlines()[0] if text else ""
    if "Requests/s" in first and ("Request Count" in first or "User Count" in first):
        return "locust"
    raise ConfigError(f"cannot tell which tool wrote {path}; pass --import-format wrk|oha|locust|k6|hey")


def import_file(path: str, fmt: str = "auto", ccu: int | None = None) -> LoadResult:
    """Parse ``path``; ``ccu`` names the concurrency when the file does not say (oha, hey, wrk JSON alone)."""
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
        if kind == "hey":
            return hey.parse(text, ccu)
        return locust.parse(p, text)
    except ConfigError:
        raise
    except BadNumber as exc:
        raise ConfigError(f"{path}: {kind} {exc}") from None
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as exc:
        raise ConfigError(f"{path} is not valid {kind} output: {exc}") from None
