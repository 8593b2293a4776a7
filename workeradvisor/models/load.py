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
    """One server process over a window: mean CPU% (100 = one core), peak RSS and true memory.

    Why USS and PSS next to RSS: RSS counts every page a process maps, shared ones too (libraries,
    and with gunicorn ``--preload`` the app's import-time memory, shared copy-on-write with the
    master), so N workers' RSS added up overstates what they use. USS is the pages only this process
    maps (what one more worker adds); PSS adds its share of each shared page (summed over processes
    it is the true total). Both come from one ``/proc/<pid>/smaps_rollup`` reading (the one with the
    highest PSS); ``shared_bytes`` is that reading's RSS - USS. ``None``: not readable (permission,
    an import, an old document), never 0.
    """

    pid: int
    role: str  # "supervisor" | "worker"
    cpu_percent: float
    rss_bytes: int
    uss_bytes: int | None = None
    pss_bytes: int | None = None
    shared_bytes: int | None = None


@dataclass(frozen=True)
class ServerMetrics:
    processes: tuple[ProcessSample, ...]
    total_cpu_percent: float  # sum over processes, 100 = one core
    total_rss_bytes: int  # sum of RSS: counts shared pages once per process that maps them
    total_pss_bytes: int | None = None  # sum of PSS: the server's true memory (None unless every process had one)
    memory_note: str = ""  # e.g. why USS/PSS are missing ("RSS only")
    threads: tuple[ThreadSample, ...] = ()  # the workers' threads over the stage (models/threads.py)
    native_runtimes: tuple[str, ...] = ()  # compute-pool runtimes mapped in the workers (openblas, libgomp...)


STICKY_SHARE = 0.85  # one worker doing this share of the workers' CPU: the others were idle
STICKY_MIN_CPU = 10.0  # % of a core, summed over workers: below it the stage was too light to tell


@dataclass(frozen=True)
class OperationStats:
    """One operation of the request mix (a request template's name) within one stage: completed
    responses by status, failures after sending, latency percentiles (ms) measured like the stage's."""

    name: str  # "POST /quotes"
    requests: int  # completed responses, any status
    statuses: tuple[tuple[int, int], ...] = ()  # (status code, count), ascending
    timeouts: int = 0
    read_errors: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float = 0.0
    rps: float = 0.0

    @property
    def ok(self) -> int:
        """2xx and 3xx answers."""
        return sum(n for code, n in self.statuses if code < 400)

    @property
    def attempts(self) -> int:
        return self.requests + self.timeouts + self.read_errors

    @property
    def error_fraction(self) -> float:
        """Failed attempts (4xx, 5xx, timeouts, read errors) over attempts."""
        return 1.0 - self.ok / self.attempts if self.attempts else 0.0


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
    operations: tuple[OperationStats, ...] = ()  # per request-template name, most requests first

    def sticky_worker(self) -> tuple[ProcessSample, float] | None:
        """The worker that did nearly all the workers' CPU (and that share) while the others idled, or None.

        Why: a keep-alive connection stays on the worker that accepted it, and an asyncio server accepts
        every pending connection at once, so at low CCU all of them can land on one worker of several.
        Such a stage measures one worker, whatever ``--workers`` says. Needs ``STICKY_MIN_CPU`` (% of a
        core) of worker CPU so an idle stage is not read as imbalance."""
        workers = [p for p in self.server.processes if p.role == "worker"] if self.server else []
        total = sum(p.cpu_percent for p in workers)
        if len(workers) < 2 or total < STICKY_MIN_CPU:
            return None
        top = max(workers, key=lambda p: p.cpu_percent)
        share = top.cpu_percent / total
        return (top, share) if share >= STICKY_SHARE else None

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
