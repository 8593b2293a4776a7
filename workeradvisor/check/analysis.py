"""A saved ``analyze`` JSON read as data: recommended workers, measured RSS, open actions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workeradvisor.errors import UsageError

ACTION_KINDS = ("keep", "scale-workers", "fix-blocking", "offload-process-pool", "raise-thread-limit",
                "fix-idle-cpu", "scale-out", "downstream-bound")


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


def _first_site(action: dict[str, Any]) -> dict[str, Any]:
    sites = action.get("sites")
    if isinstance(sites, list) and sites and isinstance(sites[0], dict):
        return sites[0]
    evidence = action.get("evidence")
    return evidence if isinstance(evidence, dict) else action


def _action(raw: dict[str, Any]) -> SavedAction:
    site = _first_site(raw)
    evidence: dict[str, Any] = raw["evidence"] if isinstance(raw.get("evidence"), dict) else {}
    line = site.get("line", raw.get("line", 0))
    return SavedAction(
        kind=str(raw.get("kind", "")),
        title=str(raw.get("title", raw.get("kind", ""))),
        path=str(site.get("path", raw.get("path", "")) or ""),
        line=line if isinstance(line, int) else 0,
        function=str(site.get("function", "") or ""),
        thread=str(raw.get("thread", evidence.get("thread", "")) or ""),
        detail=str(site.get("detail", "") or ""),
        fix=(str(raw.get("fix", "") or "").strip().splitlines() or [""])[0],
    )


def _worker_rss(data: dict[str, Any]) -> tuple[int | None, str]:
    profile: dict[str, Any] = data["profile"] if isinstance(data.get("profile"), dict) else {}
    rss: list[Any] = [w.get("rss_bytes") for w in profile.get("workers") or [] if isinstance(w, dict)]
    rss = [r for r in rss if isinstance(r, int) and r > 0]
    if rss:
        return max(rss), "profile (largest worker RSS)"
    loads: list[Any] = data["load"] if isinstance(data.get("load"), list) else [data.get("load")]
    samples: list[Any] = [p.get("rss_bytes") for lr in loads if isinstance(lr, dict) for st in lr.get("stages") or []
               for p in ((st.get("server") or {}).get("processes") or []) if p.get("role") == "worker"]
    samples = [r for r in samples if isinstance(r, int) and r > 0]
    return (max(samples), "load test (peak worker RSS)") if samples else (None, "")


def load_analysis(path: Path) -> SavedAnalysis:
    """Parse and validate; any problem is a UsageError (exit 2) naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read analysis: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise UsageError(f"{path}{where}: not an analyze JSON: {exc}") from None
    rec = data.get("recommendation") if isinstance(data, dict) else None
    if not isinstance(rec, dict) or not isinstance(rec.get("workers"), int):
        raise UsageError(f"{path}: not an analyze JSON: missing recommendation.workers")
    rng = rec.get("workers_range") or [rec["workers"], rec["workers"]]
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int) for x in rng)):
        raise UsageError(f"{path}: recommendation.workers_range must be [lo, hi]")
    actions = tuple(_action(a) for a in rec.get("actions") or [] if isinstance(a, dict))
    unknown = [a.kind for a in actions if a.kind not in ACTION_KINDS]
    if unknown:
        raise UsageError(f"{path}: unknown action kind(s): {', '.join(unknown)}")
    rss, rss_source = _worker_rss(data)
    idle = ((data.get("profile") or {}).get("idle") or {}) if isinstance(data.get("profile"), dict) else {}
    culprits = tuple(str(c.get("name", "")) for c in idle.get("culprits") or [] if isinstance(c, dict))
    return SavedAnalysis(source=str(path), workers=rec["workers"], workers_range=(rng[0], rng[1]),
                         verdict=str(rec.get("verdict", "")), actions=actions, worker_rss_bytes=rss,
                         rss_source=rss_source, culprit_threads=culprits)
