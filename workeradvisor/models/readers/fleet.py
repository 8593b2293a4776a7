"""Reader for the fleet plan (``FleetPlan.to_dict``, inside an analysis JSON or ``plan --format json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.models.fleet import CapacityInputs, DbPool, FleetPlan, PodLimits


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def fleet_from_dict(d: Any) -> FleetPlan | None:
    """The plan back into the model; None for null; ConfigError naming the bad field."""
    if d is None:
        return None
    if not isinstance(d, Mapping):
        raise ConfigError("fleet: expected an object")
    try:
        p, i, h = d["pod"], d["inputs"], d["hpa"]
        pod = PodLimits(float(p["cores"]), _opt_int(p.get("memory_bytes")), str(p.get("source", "")),
                        _opt_float(p.get("cpu_request")))
        inputs = CapacityInputs(
            float(i["cpu_s_per_request"]), str(i.get("cpu_source", "")), _opt_float(i.get("measured_rps_per_worker")),
            str(i.get("measured_source", "")), _opt_int(i.get("per_worker_memory_bytes")),
            str(i.get("memory_source", "")), float(i.get("idle_cores_per_worker", 0.0)),
            _opt_float(i.get("request_cpu_ratio")), float(i["p99_slo_ms"]), str(i.get("measured_caveat", "")))
        return FleetPlan(
            target_rps=float(d["target_rps"]), pod=pod, inputs=inputs, workload=str(d["workload"]),
            workers_per_pod=int(d["workers_per_pod"]), rps_per_worker=float(d["rps_per_worker"]),
            rps_per_worker_source=str(d.get("rps_per_worker_source", "")), pod_rps=float(d["pod_rps"]),
            replicas=int(d["replicas"]), hpa_min=int(h["min_replicas"]), hpa_max=int(h["max_replicas"]),
            hpa_cpu_target=int(h["cpu_average_utilization"]), pod_cpu_cores=float(d["pod_cpu_cores"]),
            headroom=float(d["headroom"]), fits=bool(d["fits"]),
            steps=tuple((str(s["figure"]), str(s["arithmetic"])) for s in d.get("steps") or []),
            notes=tuple(str(n) for n in d.get("notes") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"fleet: missing or bad field {exc}") from None


def pools_from_list(v: Any) -> tuple[DbPool, ...]:
    """``db_pools`` of an analysis JSON (absent in older files: none)."""
    if not isinstance(v, list):
        return ()
    try:
        return tuple(DbPool(str(p["path"]), int(p["line"]), str(p["library"]), str(p["database"]),
                            _opt_int(p.get("per_worker")), str(p.get("detail", "")), str(p.get("env_var", "")))
                     for p in v)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"db_pools: missing or bad field {exc}") from None
