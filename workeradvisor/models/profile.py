"""Results of a live profile: where each worker's event-loop time goes, per request and at idle."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ThreadStat:
    tid: int
    name: str
    cpu_seconds: float  # over the window
    cpu_percent: float  # 100 = one core
    is_loop: bool = False


@dataclass(frozen=True)
class LoopBreakdown:
    """Event-loop thread over the headline window (from /proc schedstat, no ptrace)."""

    window_s: float
    busy_fraction: float  # on-CPU + waiting-to-run, 0..1
    on_cpu_fraction: float
    runqueue_fraction: float


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    function: str
    share: float  # share of loop-thread samples, 0..1
    kind: str  # "blocking" | "cpu"
    confirmed_findings: tuple[str, ...] = ()  # scan rule ids confirmed at this site


@dataclass(frozen=True)
class WorkerProfile:
    pid: int
    rss_bytes: int
    uss_bytes: int
    loop: LoopBreakdown | None
    threads: tuple[ThreadStat, ...]
    # Attribution pass (py-spy): shares of loop-thread samples, summing to ~1.
    app_cpu_share: float | None = None
    blocked_share: float | None = None
    selector_share: float | None = None
    attribution_ticks: int = 0  # loop-thread samples behind the shares (for their interval)
    pss_bytes: int = 0  # proportional set size (own pages + its share of shared ones); 0 when unreadable, as uss


@dataclass(frozen=True)
class PerRequest:
    requests: int
    loop_cpu_s_per_request: float
    mean_latency_ms: float
    request_cpu_ratio: float  # loop CPU (+ run-queue wait) per request / mean latency, 0..1
    io_ratio: float  # 1 - request_cpu_ratio
    loop_runqueue_s_per_request: float = 0.0  # loop thread runnable but waiting for a core, per request
    concurrency: int = 1  # closed-loop users while measuring (the ratio is meant at low concurrency)
    rps: float = 0.0  # requests per second the load engine measured over the window
    # The ratio over consecutive equal sub-windows (batch means), for its confidence interval; () if too short.
    ratio_blocks: tuple[float, ...] = ()


@dataclass(frozen=True)
class StackFrame:
    """One frame of a profiled stack, carried as data; ``label`` is only for display."""

    function: str
    path: str  # as displayed: relative to the app root when inside it
    line: int

    def label(self) -> str:
        return f"{self.function}() ({self.path}:{self.line})"


def stack_text(frames: tuple[StackFrame, ...]) -> str:
    """``_encode() (app/metrics.py:21) <- push_loop() (app/metrics.py:29)``: innermost first."""
    return " <- ".join(f.label() for f in frames)


@dataclass(frozen=True)
class IdleReport:
    window_s: float
    process_cpu_percent: tuple[tuple[int, float], ...]  # (pid, cpu%)
    culprits: tuple[ThreadStat, ...]  # threads with material idle CPU
    # Per culprit, its hottest stack: the innermost app frame first, then the outermost (may be empty).
    culprit_stacks: tuple[tuple[StackFrame, ...], ...] = ()
    reload_detected: bool = False
    # Idle CPU (% of a core, all processes) per sub-window of the idle window: batch means for its interval.
    cpu_blocks: tuple[float, ...] = ()

    def stack(self, i: int) -> tuple[StackFrame, ...]:
        """Culprit ``i``'s hottest stack (empty when unknown)."""
        return self.culprit_stacks[i] if i < len(self.culprit_stacks) else ()


@dataclass(frozen=True)
class OperationProfile:
    """One operation of the request mix measured alone at 1 CCU: loop CPU per request (schedstat of
    the loop thread, as the headline figures) and latency, and its weight in the mix."""

    name: str  # "POST /quotes"
    requests: int
    loop_cpu_s_per_request: float
    mean_latency_ms: float
    weight: float  # share of the mix's requests, 0..1
    # Loop CPU (+ run-queue wait) per request / latency, as PerRequest's: None in analyses saved before it.
    request_cpu_ratio: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "requests": self.requests,
                "loop_cpu_ms_per_request": round(self.loop_cpu_s_per_request * 1000, 3),
                "mean_latency_ms": round(self.mean_latency_ms, 3), "weight": round(self.weight, 4),
                "request_cpu_ratio": round(self.request_cpu_ratio, 4) if self.request_cpu_ratio is not None else None}


def loop_cpu_shares(ops: tuple[OperationProfile, ...]) -> dict[str, float]:
    """Each operation's share of the loop's CPU at the mix's weights (sums to 1)."""
    total = sum(o.loop_cpu_s_per_request * o.weight for o in ops)
    return {o.name: (o.loop_cpu_s_per_request * o.weight / total if total > 0 else 0.0) for o in ops}


@dataclass(frozen=True)
class ProfileResult:
    target: str
    workers: tuple[WorkerProfile, ...]
    per_request: PerRequest | None = None
    idle: IdleReport | None = None
    top_blocking: tuple[CallSite, ...] = ()
    top_cpu: tuple[CallSite, ...] = ()
    partial: bool = False
    notes: tuple[str, ...] = field(default=())
    # The attribution pass failed (e.g. ptrace not permitted): the headline numbers above still stand.
    attribution_error: str = ""
    attribution_error_code: int = 0  # the errors.py exit code the CLI ends with after reporting

    @property
    def request_cpu_ratio(self) -> float | None:
        return self.per_request.request_cpu_ratio if self.per_request else None
