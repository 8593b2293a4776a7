"""The fleet plan: workers per pod, replicas and the HPA target for a traffic goal.

``decide/fleet.py`` computes it from a measured capacity model; ``report/fleet_*.py`` renders it.
Every figure the plan used travels with it (``steps``), so a reviewer can redo the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

POSTGRES_DEFAULT_MAX_CONNECTIONS = 100  # postgresql.conf max_connections default
REDIS_DEFAULT_MAX_CLIENTS = 10000  # redis.conf maxclients default


@dataclass(frozen=True)
class PodLimits:
    """What one replica gets: CPU (limit, else request) and memory, and where that came from."""

    cores: float
    memory_bytes: int | None
    source: str  # "--cores/--memory", "kubernetes k8s/deploy.yaml web", "compose docker-compose.yml api"
    cpu_request: float | None = None  # what the HPA's utilization is a percentage of (default: cores)

    @property
    def hpa_base_cores(self) -> float:
        return self.cpu_request if self.cpu_request else self.cores


@dataclass(frozen=True)
class CapacityInputs:
    """The measured figures the plan rests on, each with its source."""

    cpu_s_per_request: float  # event-loop CPU seconds per request
    cpu_source: str
    measured_rps_per_worker: float | None  # best trusted stage that met the p99 target, per worker
    measured_source: str
    per_worker_memory_bytes: int | None
    memory_source: str
    idle_cores_per_worker: float  # CPU one worker burns with no traffic (1.0 = one core)
    request_cpu_ratio: float | None  # share of request time on the loop's CPU
    p99_slo_ms: float
    measured_caveat: str = ""  # why the measured rate may be a lower bound (the ceiling analysis' sentence)


@dataclass(frozen=True)
class FleetPlan:
    target_rps: float
    pod: PodLimits
    inputs: CapacityInputs
    workload: str  # "CPU-bound" | "I/O-bound"
    workers_per_pod: int  # 0 when one worker does not fit the pod
    rps_per_worker: float  # ceiling per worker (min of the utilization law and the measurement)
    rps_per_worker_source: str
    pod_rps: float  # planned per-pod rate: ceiling x workers x (1 - headroom)
    replicas: int  # to serve target_rps at pod_rps
    hpa_min: int
    hpa_max: int
    hpa_cpu_target: int  # percent of the pod's CPU request at pod_rps
    pod_cpu_cores: float  # CPU one pod burns at pod_rps (idle + requests)
    headroom: float
    fits: bool
    steps: tuple[tuple[str, str], ...] = ()  # (figure, arithmetic with the numbers)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-typed, stable keys (docs/fleet-plan.md)."""
        i, p = self.inputs, self.pod
        return {
            "target_rps": self.target_rps,
            "pod": {"cores": p.cores, "cpu_request": p.cpu_request, "memory_bytes": p.memory_bytes,
                    "source": p.source},
            "inputs": {"cpu_s_per_request": i.cpu_s_per_request, "cpu_source": i.cpu_source,
                       "measured_rps_per_worker": i.measured_rps_per_worker, "measured_source": i.measured_source,
                       "per_worker_memory_bytes": i.per_worker_memory_bytes, "memory_source": i.memory_source,
                       "idle_cores_per_worker": i.idle_cores_per_worker, "request_cpu_ratio": i.request_cpu_ratio,
                       "p99_slo_ms": i.p99_slo_ms, "measured_caveat": i.measured_caveat},
            "workload": self.workload,
            "workers_per_pod": self.workers_per_pod,
            "rps_per_worker": self.rps_per_worker,
            "rps_per_worker_source": self.rps_per_worker_source,
            "pod_rps": self.pod_rps,
            "replicas": self.replicas,
            "hpa": {"min_replicas": self.hpa_min, "max_replicas": self.hpa_max,
                    "cpu_average_utilization": self.hpa_cpu_target},
            "pod_cpu_cores": self.pod_cpu_cores,
            "headroom": self.headroom,
            "fits": self.fits,
            "steps": [{"figure": k, "arithmetic": v} for k, v in self.steps],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class DbPool:
    """One connection pool the code builds in every worker process (check/pools.py reads it with ast)."""

    path: str
    line: int
    library: str  # "SQLAlchemy create_engine", "asyncpg create_pool", "redis-py ConnectionPool"...
    database: str  # "sql" | "redis"
    per_worker: int | None  # most connections one worker can hold; None = unresolved or unbounded
    detail: str  # "pool_size 5 + max_overflow 10"
    env_var: str = ""  # the environment variable the size came from, if any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "library": self.library, "database": self.database,
                "per_worker": self.per_worker, "detail": self.detail, "env_var": self.env_var}
