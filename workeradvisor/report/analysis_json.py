"""JSON for an analysis: the stable schema documented in docs/analysis.md (``workeradvisor.analysis/1``).

Top-level keys: ``schema``, ``scan``, ``profile``, ``load`` (a list, one run per worker count),
``environment``, ``recommendation``. Keys are only added within version 1. ``from_dict`` reads a
saved file back into models, so ``advise`` and ``check`` can reuse it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.models.decision import (
    Action,
    Analysis,
    CodeSite,
    CompareRow,
    Environment,
    PathStep,
    Recommendation,
)
from workeradvisor.report import load_json, profile_json
from workeradvisor.report.result_readers import load_from_dict, profile_from_dict, scan_from_dict

SCHEMA = "workeradvisor.analysis/1"


def environment_dict(env: Environment) -> dict[str, Any]:
    return {
        "cores": env.cores,
        "cores_source": env.cores_source,
        "usable_workers": env.usable_workers,
        "host_cores": env.host_cores,
        "cpu_quota_cores": env.cpu_quota_cores,
        "cpu_quota_source": env.cpu_quota_source,
        "affinity_cores": env.affinity_cores,
        "memory_limit_bytes": env.memory_limit_bytes,
        "memory_source": env.memory_source,
        "host_memory_bytes": env.host_memory_bytes,
    }


def action_dict(a: Action) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "title": a.title,
        "first": a.first,
        "evidence": dict(a.evidence),
        "sites": [
            {"path": s.path, "line": s.line, "function": s.function, "detail": s.detail, "source": s.source}
            for s in a.sites
        ],
        "fix": a.fix,
    }


def step_dict(p: PathStep) -> dict[str, Any]:
    return {
        "node": p.node,
        "question": p.question,
        "condition": p.condition,
        "label": p.label,
        "values": dict(p.values),
        "workers_range": list(p.workers_range) if p.workers_range else None,
    }


def recommendation_dict(r: Recommendation) -> dict[str, Any]:
    return {
        "workers": r.workers,
        "workers_range": list(r.workers_range),
        "verdict": r.verdict,
        "confidence": r.confidence,
        "confidence_label": r.confidence_label,
        "confidence_reasons": list(r.confidence_reasons),
        "actions": [action_dict(a) for a in r.actions],
        "path": [step_dict(p) for p in r.path],
        "capacity": dict(r.capacity),
        "notes": list(r.notes),
        "metrics": dict(r.metrics),
        "compare": [compare_dict(c) for c in r.compare],
    }


def compare_dict(c: CompareRow) -> dict[str, Any]:
    return {"workers": c.workers, "ccu": c.ccu, "rps": c.rps, "p99_ms": c.p99_ms, "cpu_percent": c.cpu_percent,
            "memory_bytes": c.memory_bytes, "gain": c.gain, "passes": c.passes}


def to_dict(analysis: Analysis) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": 1,  # docs/json.md: every document carries "version"
        "scan": analysis.scan.to_dict() if analysis.scan else None,
        "profile": profile_json.to_dict(analysis.profile) if analysis.profile else None,
        "load": [load_json.to_dict(x) for x in analysis.load],
        "environment": environment_dict(analysis.environment),
        "recommendation": recommendation_dict(analysis.recommendation),
        "notes": list(analysis.notes),
    }


def render(analysis: Analysis) -> str:
    return json.dumps(to_dict(analysis), indent=2, default=str) + "\n"


# --- reading back ---


def _pairs(v: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((str(k), x) for k, x in v.items()) if isinstance(v, Mapping) else ()


def environment_from_dict(d: Mapping[str, Any]) -> Environment:
    try:
        return Environment(
            cores=float(d["cores"]),
            cores_source=str(d.get("cores_source", "")),
            host_cores=int(d.get("host_cores") or d["cores"]),
            host_memory_bytes=int(d.get("host_memory_bytes") or 0),
            cpu_quota_cores=d.get("cpu_quota_cores"),
            cpu_quota_source=str(d.get("cpu_quota_source", "")),
            affinity_cores=d.get("affinity_cores"),
            memory_limit_bytes=d.get("memory_limit_bytes"),
            memory_source=str(d.get("memory_source", "host")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"environment: missing or bad field {exc}") from None


def recommendation_from_dict(d: Mapping[str, Any]) -> Recommendation:
    try:
        actions = tuple(
            Action(
                kind=str(a["kind"]),
                title=str(a.get("title", "")),
                evidence=_pairs(a.get("evidence")),
                sites=tuple(
                    CodeSite(str(s.get("path", "")), int(s.get("line", 0)), str(s.get("function", "")),
                             str(s.get("detail", "")), str(s.get("source", "")))
                    for s in a.get("sites") or []
                ),
                fix=str(a.get("fix", "")),
                first=bool(a.get("first", False)),
            )
            for a in d.get("actions") or []
        )
        path = tuple(
            PathStep(str(p["node"]), str(p.get("question", "")), str(p.get("condition", "")), str(p.get("label", "")),
                     _pairs(p.get("values")), tuple(p["workers_range"]) if p.get("workers_range") else None)
            for p in d.get("path") or []
        )
        lo, hi = d.get("workers_range") or [d["workers"], d["workers"]]
        return Recommendation(
            workers=int(d["workers"]),
            workers_range=(int(lo), int(hi)),
            actions=actions,
            path=path,
            confidence=float(d.get("confidence", 0.0)),
            verdict=str(d.get("verdict", "")),
            confidence_reasons=tuple(str(x) for x in d.get("confidence_reasons") or []),
            capacity=_pairs(d.get("capacity")),
            notes=tuple(str(x) for x in d.get("notes") or []),
            metrics=_pairs(d.get("metrics")),
            compare=tuple(
                CompareRow(int(c["workers"]), c.get("ccu"), float(c["rps"]), c.get("p99_ms"), c.get("cpu_percent"),
                           c.get("memory_bytes"), c.get("gain"), c.get("passes"))
                for c in d.get("compare") or []
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"recommendation: missing or bad field {exc}") from None


def from_dict(data: Any, source: str = "analysis") -> Analysis:
    """A saved analysis back into models; any structural problem is a ConfigError naming ``source``."""
    if not isinstance(data, Mapping) or "recommendation" not in data or "environment" not in data:
        raise ConfigError(f"{source}: not an analysis JSON (needs 'environment' and 'recommendation')")
    try:
        loads = data.get("load") or []
        loads = loads if isinstance(loads, list) else [loads]
        return Analysis(
            scan=scan_from_dict(data["scan"], source) if data.get("scan") else None,
            profile=profile_from_dict(data["profile"], source) if data.get("profile") else None,
            load=tuple(load_from_dict(x, source) for x in loads),
            environment=environment_from_dict(data["environment"]),
            recommendation=recommendation_from_dict(data["recommendation"]),
            notes=tuple(str(n) for n in data.get("notes") or []),
        )
    except ConfigError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(source) else f"{source}: {msg}") from None
