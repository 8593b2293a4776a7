"""Reader for the analysis document (docs/analysis.md, ``workeradvisor.analysis/1``) back into models.

``capacity`` is the flat object of version 1 (``predicted_max_rps_{w}w`` keys); it becomes the
``Capacity`` model here, and only here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.models.decision import (
    MIB,
    Action,
    Analysis,
    Capacity,
    CapacityRow,
    CodeSite,
    CompareRow,
    Environment,
    PathStep,
    Recommendation,
)
from workeradvisor.models.launch import Deploy
from workeradvisor.models.profile import OperationProfile
from workeradvisor.models.readers.fleet import fleet_from_dict, pools_from_list
from workeradvisor.models.readers.results import (
    _opt_f,
    _opt_i,
    load_from_dict,
    profile_from_dict,
    scan_from_dict,
)
from workeradvisor.models.readers.verdict import (
    ceiling_from_dict,
    gain_from_dict,
    no_verdict_from_dict,
    noise_from_dict,
)


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


_ROW_KEY = re.compile(r"^predicted_max_rps_(\d+)w$")


def capacity_from_dict(d: Any) -> Capacity | None:
    """The JSON's flat ``capacity`` object (``predicted_max_rps_{w}w`` keys, version 1) into the model."""
    if not isinstance(d, Mapping) or not d:
        return None
    workers = sorted(int(m[1]) for k in d if (m := _ROW_KEY.match(str(k))))
    rss_mib = _opt_f(d, "per_worker_rss_mib")
    return Capacity(
        cpu_s_per_request=_opt_f(d, "cpu_s_per_request"),
        cpu_source=str(d.get("cpu_source") or ""),
        loop_saturation_rps=_opt_f(d, "loop_saturation_rps"),
        workers_needed=_opt_i(d, "workers_needed"),
        per_worker_rss_bytes=int(rss_mib * MIB) if rss_mib else None,
        memory_fit_workers=_opt_i(d, "memory_fit_workers"),
        rows=tuple(CapacityRow(w, _opt_f(d, f"predicted_max_rps_{w}w"), _opt_f(d, f"measured_peak_rps_{w}w"))
                   for w in workers),
        target_rps=_opt_f(d, "target_rps"),
        per_worker_pss_bytes=_mib_bytes(d, "per_worker_pss_mib"),
        per_worker_uss_bytes=_mib_bytes(d, "per_worker_uss_mib"),
        per_worker_shared_bytes=_mib_bytes(d, "per_worker_shared_mib"),
        supervisor_pss_bytes=_mib_bytes(d, "supervisor_pss_mib"),
        memory_basis=str(d.get("memory_basis") or ("rss" if rss_mib else "")),
    )


def _mib_bytes(d: Mapping[str, Any], key: str) -> int | None:
    mib = _opt_f(d, key)
    return int(mib * MIB) if mib else None


def _action(a: Mapping[str, Any]) -> Action:
    return Action(
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


def recommendation_from_dict(d: Mapping[str, Any]) -> Recommendation:
    try:
        path = tuple(
            PathStep(str(p["node"]), str(p.get("question", "")), str(p.get("condition", "")), str(p.get("label", "")),
                     _pairs(p.get("values")), tuple(p["workers_range"]) if p.get("workers_range") else None)
            for p in d.get("path") or []
        )
        lo, hi = d.get("workers_range") or [d["workers"], d["workers"]]
        return Recommendation(
            workers=int(d["workers"]),
            workers_range=(int(lo), int(hi)),
            actions=tuple(_action(a) for a in d.get("actions") or []),
            path=path,
            confidence=float(d.get("confidence", 0.0)),
            verdict=str(d.get("verdict", "")),
            confidence_reasons=tuple(str(x) for x in d.get("confidence_reasons") or []),
            capacity=capacity_from_dict(d.get("capacity")),
            notes=tuple(str(x) for x in d.get("notes") or []),
            metrics=_pairs(d.get("metrics")),
            compare=tuple(
                CompareRow(int(c["workers"]), c.get("ccu"), float(c["rps"]), c.get("p99_ms"), c.get("cpu_percent"),
                           c.get("memory_bytes"), c.get("gain"), c.get("passes"), _opt_i(c, "memory_pss_bytes"))
                for c in d.get("compare") or []
            ),
            thresholds=tuple((str(k), float(v)) for k, v in _pairs(d.get("thresholds"))),
            gain_tests=tuple(gain_from_dict(t) for t in d.get("gain_tests") or []),
            host_noise=noise_from_dict(d.get("host_noise")),
            ceiling=ceiling_from_dict(d.get("ceiling")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"recommendation: missing or bad field {exc}") from None


def _operation(o: Mapping[str, Any]) -> OperationProfile:
    return OperationProfile(str(o["name"]), int(o.get("requests", 0)), float(o["loop_cpu_ms_per_request"]) / 1000,
                            float(o.get("mean_latency_ms", 0.0)), float(o.get("weight", 0.0)),
                            float(o["request_cpu_ratio"]) if isinstance(o.get("request_cpu_ratio"), int | float)
                            else None)


def analysis_from_dict(data: Any, source: str = "analysis") -> Analysis:
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
            recommendation=recommendation_from_dict(data["recommendation"]) if data["recommendation"] else None,
            notes=tuple(str(n) for n in data.get("notes") or []),
            deploy=Deploy.from_dict(data.get("deploy")),
            operations=tuple(_operation(o) for o in data.get("operations") or [] if isinstance(o, Mapping)),
            no_verdict=no_verdict_from_dict(data.get("no_verdict")),
            fleet=fleet_from_dict(data.get("fleet")),
            pools=pools_from_list(data.get("db_pools")),
        )
    except ConfigError as exc:
        msg = str(exc)
        raise ConfigError(msg if msg.startswith(source) else f"{source}: {msg}") from None
