"""A saved ``analyze`` JSON read as data: recommended workers, measured RSS, open actions.

The file is read by the one analysis reader (``models/readers.py``); this module only picks what
the deployment checks compare. Action kinds come from the one table (``models/actions.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.models.actions import action_kinds
from workeradvisor.models.decision import Action
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult
from workeradvisor.models.readers import load_from_dict, profile_from_dict, recommendation_from_dict
from workeradvisor.safeio import MAX_RESULT_FILE, load_json, read_bounded


@dataclass(frozen=True)
class SavedAction:
    kind: str
    title: str
    path: str = ""
    line: int = 0
    function: str = ""
    thread: str = ""
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class SavedAnalysis:
    source: str
    workers: int
    workers_range: tuple[int, int]
    verdict: str
    actions: tuple[SavedAction, ...]
    worker_rss_bytes: int | None  # largest measured per-worker RSS
    rss_source: str = ""
    culprit_threads: tuple[str, ...] = field(default=())


def _action(a: Action) -> SavedAction:
    """The first code site names where the action points; older files carried it in the evidence."""
    evidence = dict(a.evidence)
    site = a.sites[0] if a.sites else None
    line = site.line if site else evidence.get("line", 0)
    return SavedAction(
        kind=a.kind,
        title=a.title or a.kind,
        path=site.path if site else str(evidence.get("path", "") or ""),
        line=line if isinstance(line, int) else 0,
        function=site.function if site else "",
        thread=str(evidence.get("thread", "") or ""),
        detail=site.detail if site else "",
        fix=(a.fix.strip().splitlines() or [""])[0],
    )


def _worker_rss(profile: ProfileResult | None, loads: tuple[LoadResult, ...]) -> tuple[int | None, str]:
    rss = [w.rss_bytes for w in profile.workers if w.rss_bytes > 0] if profile else []
    if rss:
        return max(rss), "profile (largest worker RSS)"
    samples = [p.rss_bytes for lr in loads for st in lr.stages if st.server is not None
               for p in st.server.processes if p.role == "worker" and p.rss_bytes > 0]
    return (max(samples), "load test (peak worker RSS)") if samples else (None, "")


def load_analysis(path: Path) -> SavedAnalysis:
    """Parse and validate through the one analysis reader; any problem is a UsageError (exit 2) naming the file."""
    try:
        data = load_json(read_bounded(path, "analysis", MAX_RESULT_FILE), str(path))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(f"{path}{where}: not an analyze JSON: {exc}") from None
    rec = data.get("recommendation") if isinstance(data, dict) else None
    missing = data.get("no_verdict") if isinstance(data, dict) else None
    if rec is None and isinstance(missing, dict):
        raise UsageError(f"{path}: the analysis gave no verdict ({missing.get('reason', 'no reason given')}); "
                         "run analyze again once that is fixed")
    if not isinstance(rec, dict) or not isinstance(rec.get("workers"), int):
        raise UsageError(f"{path}: not an analyze JSON: missing recommendation.workers")
    rng = rec.get("workers_range") or [rec["workers"], rec["workers"]]
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int) for x in rng)):
        raise UsageError(f"{path}: recommendation.workers_range must be [lo, hi]")
    try:  # the parts the checks read, through the one reader (no environment needed here)
        r = recommendation_from_dict(rec)
        profile = profile_from_dict(data["profile"], str(path)) if isinstance(data.get("profile"), dict) else None
        raw_loads = data.get("load") if isinstance(data.get("load"), list) else [data.get("load")]
        loads = tuple(load_from_dict(x, str(path)) for x in raw_loads if isinstance(x, dict))
    except ConfigError as exc:
        raise UsageError(f"{path}: not an analyze JSON: {exc}") from None
    known = action_kinds()
    unknown = [a.kind for a in r.actions if a.kind not in known]
    if unknown:
        raise UsageError(f"{path}: unknown action kind(s): {', '.join(unknown)}")
    rss, rss_source = _worker_rss(profile, loads)
    idle = profile.idle if profile else None
    return SavedAnalysis(source=str(path), workers=r.workers, workers_range=r.workers_range, verdict=r.verdict,
                         actions=tuple(_action(a) for a in r.actions), worker_rss_bytes=rss, rss_source=rss_source,
                         culprit_threads=tuple(t.name for t in idle.culprits) if idle else ())
