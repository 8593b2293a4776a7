"""Results of a load run (closed-loop CCU ladder or open-loop constant rate, or an import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from workeradvisor.models.threads import ThreadSample


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds, from an HDR histogram merged across generator processes.

    A percentile is ``None`` when the tool that measured it did not report it (an import of wrk
    without ``--latency``, a k6 export without ``p(99)``): unknown, never 0.
    """

    count: int
    mean: float
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    p999: float | None
    max: float


@dataclass(frozen=True)
class ErrorCounts:
    connect: int = 0
    timeout: int = 0
    http_4xx: int = 0
    http_5xx: int = 0
    read: int = 0

    @property
    def total(self) -> int:
        return self.connect + self.timeout + self.http_4xx + self.http_5xx + self.read


@dataclass(frozen=True)
class ProcessSample:
    """One server process over a window: mean CPU% (100 = one core) and peak RSS."""

    pid: int
    role: str  # "supervisor" | "worker"
    cpu_percent: float
    rss_bytes: int


@dataclass(frozen=True)
class ServerMetrics:
    processes: tuple[ProcessSample, ...]
    total_cpu_percent: float  # sum over processes, 100 = one core
    total_rss_bytes: int
    threads: tuple[ThreadSample, ...] = ()  # the workers' threads over the stage (models/threads.py)


@dataclass(frozen=True)
class StageResult:
    kind: str  # "ccu" | "rate"
    ccu: int | None
    rate: float | None
    duration_s: float
    requests: int  # completed (ok + http errors)
    rps: float
    latency_ms: LatencySummary
    errors: ErrorCounts
    bytes_received: int
    server: ServerMetrics | None
    generator_cpu_percent: float  # 100 = one core, summed over generator processes
    host_cpu_idle_percent: float  # 0..100 of all cores
    generator_bound: bool
    generator_bound_reason: str = ""
    partial: bool = False  # interrupted mid-stage
    stopped_reason: str = ""  # e.g. "p99 1200 ms > 1000 ms"
    generator_processes: int = 1
    requests_sent: int = 0  # every request written, warm-up included (what --max-requests caps)

    @property
    def error_fraction(self) -> float:
        """Errors over attempts (completed requests plus connect/timeout/read failures)."""
        failed = self.errors.connect + self.errors.timeout + self.errors.read
        attempts = self.requests + failed
        return self.errors.total / attempts if attempts else 0.0


@dataclass(frozen=True)
class LoadResult:
    target: str
    stages: tuple[StageResult, ...]
    knee_last_healthy_ccu: int | None = None
    knee_first_saturated_ccu: int | None = None
    source: str = "workeradvisor"  # or "wrk", "oha", "locust", "k6" for imports
    workers: int | None = None  # server workers, when known
    interrupted: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def server_workers(self) -> int:
        """Server workers of this run: declared, else counted from the sampled worker processes, else 1.
        The one definition every stage (decide, report) uses."""
        if self.workers:
            return self.workers
        for stage in self.stages:
            if stage.server is not None:
                n = sum(1 for p in stage.server.processes if p.role == "worker")
                if n:
                    return n
        return 1


# --- what a load run sends (built by load/spec.py; profile drives traffic with it too) ---


@dataclass(frozen=True)
class RequestTemplate:
    name: str
    method: str
    path: str  # may contain placeholders
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None  # may contain placeholders
    weight: float = 1.0


@dataclass(frozen=True)
class RequestPlan:
    base_url: str
    scheme: str
    host: str  # what we connect to
    port: int
    host_header: str
    requests: tuple[RequestTemplate, ...]
    # What the loopback guard resolved ``host`` to, once: generators connect to one of these and
    # never resolve the name again (an /etc/hosts or DNS change cannot redirect the load).
    addresses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> RequestPlan:
        reqs = tuple(
            RequestTemplate(**{**r, "headers": tuple(tuple(h) for h in r["headers"])}) for r in data["requests"]
        )
        fields = {k: v for k, v in data.items() if k != "requests"}
        fields["addresses"] = tuple(fields.get("addresses") or ())
        return RequestPlan(**fields, requests=reqs)
