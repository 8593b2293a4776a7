"""JSON for an analysis: the stable schema documented in docs/analysis.md (``workeradvisor.analysis/1``).

Top-level keys: ``schema``, ``scan``, ``profile``, ``load`` (a list, one run per worker count),
``environment``, ``recommendation``. Keys are only added within version 1. ``from_dict`` (the
reader in ``models/readers.py``) reads a saved file back into models.
"""

from __future__ import annotations

from typing import Any

from workeradvisor.jsonsafe import dumps
from workeradvisor.models.decision import (
    MIB,
    Action,
    Analysis,
    Capacity,
    CompareRow,
    Environment,
    PathStep,
    Recommendation,
)
from workeradvisor.models.readers import (  # noqa: F401 - re-exported for callers of the old names
    analysis_from_dict,
    environment_from_dict,
    recommendation_from_dict,
)
from workeradvisor.report import load_json, profile_json
from workeradvisor.report.analysis_common import heaviest_operation
from workeradvisor.report.verdict_parts import ceiling_dict, gain_dict, no_verdict_dict, noise_dict

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
        "capacity": capacity_dict(r.capacity),
        "notes": list(r.notes),
        "metrics": dict(r.metrics),
        "compare": [compare_dict(c) for c in r.compare],
        "thresholds": dict(r.thresholds),
        "gain_tests": [gain_dict(t) for t in r.gain_tests],
        "host_noise": noise_dict(r.host_noise),
        "ceiling": ceiling_dict(r.ceiling),
    }


def capacity_dict(c: Capacity | None) -> dict[str, Any]:
    """The flat object of version 1 (``predicted_max_rps_{w}w`` keys), written from the model."""
    if c is None:
        return {}
    out: dict[str, Any] = {
        "cpu_s_per_request": c.cpu_s_per_request,
        "cpu_source": c.cpu_source,
        "loop_saturation_rps": c.loop_saturation_rps,
        "target_rps": c.target_rps,
        "workers_needed": c.workers_needed,
        "per_worker_rss_mib": _mib(c.per_worker_rss_bytes),
        "per_worker_pss_mib": _mib(c.per_worker_pss_bytes),
        "per_worker_uss_mib": _mib(c.per_worker_uss_bytes),
        "per_worker_shared_mib": _mib(c.per_worker_shared_bytes),
        "supervisor_pss_mib": _mib(c.supervisor_pss_bytes),
        "memory_basis": c.memory_basis,
        "memory_fit_workers": c.memory_fit_workers,
    }
    for row in c.rows:
        out[f"predicted_max_rps_{row.workers}w"] = row.predicted_max_rps
        out[f"measured_peak_rps_{row.workers}w"] = row.measured_peak_rps
    return out


def _mib(n: int | None) -> float | None:
    return round(n / MIB, 1) if n else None


def compare_dict(c: CompareRow) -> dict[str, Any]:
    return {"workers": c.workers, "ccu": c.ccu, "rps": c.rps, "p99_ms": c.p99_ms, "cpu_percent": c.cpu_percent,
            "memory_bytes": c.memory_bytes, "memory_pss_bytes": c.memory_pss_bytes, "gain": c.gain,
            "passes": c.passes}


def to_dict(analysis: Analysis) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": 1,  # docs/json.md: every document carries "version"
        "scan": analysis.scan.to_dict() if analysis.scan else None,
        "profile": profile_json.to_dict(analysis.profile) if analysis.profile else None,
        "load": [load_json.to_dict(x) for x in analysis.load],
        "environment": environment_dict(analysis.environment),
        "recommendation": recommendation_dict(analysis.recommendation) if analysis.recommendation else None,
        "no_verdict": no_verdict_dict(analysis.no_verdict) if analysis.no_verdict else None,
        "notes": list(analysis.notes),
        "deploy": analysis.deploy.to_dict() if analysis.deploy else None,
        "operations": [o.to_dict() for o in analysis.operations],
        "heaviest_operation": heaviest_operation(analysis),
        "fleet": analysis.fleet.to_dict() if analysis.fleet else None,  # docs/fleet-plan.md
        "db_pools": [p.to_dict() for p in analysis.pools],
    }


def render(analysis: Analysis) -> str:
    """JSON without NaN/Infinity: a non-finite figure is written as null (``jsonsafe``)."""
    return dumps(to_dict(analysis), indent=2, default=str) + "\n"


# --- reading back: the one analysis reader lives next to the models (models/readers.py) ---

from_dict = analysis_from_dict
