"""Small builders for scan/profile/load results used by the decide tests (fixtures as code)."""

from __future__ import annotations

from workeradvisor.models import (
    CallSite,
    Environment,
    ErrorCounts,
    Finding,
    IdleReport,
    LatencySummary,
    LoadResult,
    LoopBreakdown,
    PerRequest,
    ProcessSample,
    ProfileResult,
    ScanResult,
    ScanSummary,
    ServerMetrics,
    StackFrame,
    StageResult,
    ThreadStat,
    WorkerProfile,
)

MIB = 1 << 20


def env(cores: float = 2.0, memory_mib: int | None = None, host_mib: int = 24 * 1024) -> Environment:
    return Environment(
        cores=cores,
        cores_source="test",
        host_cores=max(1, int(cores)),
        host_memory_bytes=host_mib * MIB,
        memory_limit_bytes=memory_mib * MIB if memory_mib else None,
        memory_source="test" if memory_mib else "host",
    )


def finding(category: str, path: str = "app/main.py", line: int = 10, symbol: str = "requests.get",
            severity: str = "error", function: str = "app.main.handler") -> Finding:
    return Finding("WA101", category, category, severity, path, line, 5, function, symbol,
                   f"{symbol} blocks", f"use the async form of {symbol}")


def scan(findings: tuple[Finding, ...] = (), async_endpoints: int = 3, sync_endpoints: int = 0) -> ScanResult:
    return ScanResult(1, findings, (), ScanSummary(1, async_endpoints, 0, async_endpoints, sync_endpoints))


def profile(cpu_ratio: float | None = 0.05, cpu_s: float = 0.001, idle_cpu: float = 1.0,
            culprits: tuple[tuple[str, float], ...] = (), blocked: float | None = 0.0, rss_mib: int = 80,
            io_ratio: float | None = None, top_blocking: tuple[CallSite, ...] = (),
            top_cpu: tuple[CallSite, ...] = (), stacks: tuple[tuple[StackFrame, ...], ...] = ()) -> ProfileResult:
    per = None
    if cpu_ratio is not None:
        per = PerRequest(200, cpu_s, cpu_s / max(cpu_ratio, 1e-6) * 1000, cpu_ratio,
                         io_ratio if io_ratio is not None else 1 - cpu_ratio)
    threads = tuple(ThreadStat(100 + i, n, c / 100, c) for i, (n, c) in enumerate(culprits))
    idle = IdleReport(5.0, ((1234, idle_cpu),), threads, stacks)
    worker = WorkerProfile(1234, rss_mib * MIB, rss_mib * MIB // 2, LoopBreakdown(5.0, 0.2, 0.18, 0.02),
                           (ThreadStat(1234, "python", 0.1, 2.0, True), *threads),
                           app_cpu_share=cpu_ratio, blocked_share=blocked, selector_share=0.5)
    return ProfileResult("app:app", (worker,), per, idle, top_blocking, top_cpu)


def stage(ccu: int, rps: float, p50: float, p99: float, cpu: float | None, workers: int = 1,
          errors: int = 0, generator_bound: bool = False, rss_mib: int = 90) -> StageResult:
    server = None
    if cpu is not None:
        procs = tuple(ProcessSample(2000 + i, "worker", cpu / workers, rss_mib * MIB) for i in range(workers))
        server = ServerMetrics(procs, cpu, rss_mib * MIB * workers)
    lat = LatencySummary(int(rps * 10), p50, p50, p99 * 0.8, p99 * 0.9, p99, p99 * 1.1, p99 * 1.2)
    return StageResult("ccu", ccu, None, 10.0, int(rps * 10), rps, lat, ErrorCounts(http_5xx=errors), 0, server,
                       30.0, 50.0, generator_bound)


def load(stages: tuple[StageResult, ...], workers: int | None = 1, source: str = "workeradvisor") -> LoadResult:
    return LoadResult("http://127.0.0.1:8000/", stages, source=source, workers=workers)


def ladder(workers: int = 1, rps: tuple[float, ...] = (300, 600, 1000), p50: tuple[float, ...] = (10, 10, 10),
           p99: tuple[float, ...] = (20, 20, 25), cpu: tuple[float | None, ...] = (20, 40, 60),
           ccus: tuple[int, ...] = (10, 20, 40), errors: tuple[int, ...] = (0, 0, 0)) -> LoadResult:
    stages = tuple(stage(c, r, a, b, u, workers, e) for c, r, a, b, u, e in zip(ccus, rps, p50, p99, cpu, errors,
                                                                              strict=True))
    return load(stages, workers)
