"""Run one stage over several generator processes and merge what they measured.

Why processes: one Python process tops out near one uvicorn worker's capacity, so a 2–4 worker
server needs several generators. Each is a child we own (``procs.spawn``) that reports JSON lines;
their HDR histograms are merged here. The server's CPU/RSS (``--pid``) and the host's idle CPU are
sampled over the measurement window only.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workeradvisor import deathwatch, procs
from workeradvisor.errors import TargetError, UsageError, WorkerAdvisorError
from workeradvisor.load.child import child_argv
from workeradvisor.load.generator import new_histogram
from workeradvisor.load.opstats import merge_operations
from workeradvisor.load.spec import RequestPlan
from workeradvisor.models.load import ErrorCounts, LatencySummary, ServerMetrics, StageResult
from workeradvisor.procstat import ProcessSampler, host_cpu_times

MAX_STAGE_SECONDS = 3600.0  # hard cap on one stage's duration
MAX_STAGE_REQUESTS = 50_000_000  # hard cap on requests sent in one stage
GENERATOR_BOUND_CPU = 70.0  # % of one core per generator process
STARTUP_SLACK_S = 15.0
PER_PROCESS_CCU = 256  # default: one generator process per this many virtual users
PER_PROCESS_RATE = 4000.0  # default: one generator process per this many requests/s
MIN_TWO_CCU = 16  # from here on, at least two generator processes (when there are two cores)
MIN_TWO_RATE = 500.0


@dataclass(frozen=True)
class StageProgress:
    label: str
    elapsed_s: float
    total_s: float
    measuring: bool
    requests: int
    rps: float
    p99_ms: float
    errors: int


class LoadInterrupted(KeyboardInterrupt):
    """Ctrl-C during a stage; carries the partial stage (and, from ``run_ladder``, the whole result)."""

    def __init__(self, stage: StageResult | None, result: Any = None) -> None:
        super().__init__("interrupted")
        self.stage = stage
        self.result = result


def default_processes(ccu: int | None, rate: float | None) -> int:
    """One process per 256 users or 4000 req/s, but two from 16 users / 500 req/s when the cores allow.

    Why two: on a box shared with the server (and anything else) the scheduler hands out CPU per
    runnable thread; one Python process lost up to a third of its RPS against 2-thread wrk there
    (benchmarks/load_engine, ``--processes default,1``), two kept up, at ~15% more CPU per request.
    """
    cores = procs.this_process_cpu_count()
    want = math.ceil(rate / PER_PROCESS_RATE) if rate else math.ceil((ccu or 1) / PER_PROCESS_CCU)
    if (rate or 0) >= MIN_TWO_RATE or (not rate and (ccu or 0) >= MIN_TWO_CCU):
        want = max(want, 2)
    return max(1, min(cores, want, ccu or want))


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class _Child:
    """A generator process and the latest things it said."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.progress: dict[str, Any] = {}
        self.result: dict[str, Any] | None = None
        self.measuring = False
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"load-reader-{proc.pid}")
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with contextlib.suppress(ValueError, OSError):
            for raw in self.proc.stdout:
                with contextlib.suppress(ValueError):
                    msg = json.loads(raw)
                    kind = msg.get("t")
                    if kind == "measure":
                        self.measuring = True
                    elif kind == "progress":
                        self.progress = msg
                    elif kind == "result":
                        self.result = msg

    def done(self) -> bool:
        return self.result is not None or (self.proc.poll() is not None and not self.reader.is_alive())


def run_stage(
    plan: RequestPlan,
    *,
    ccu: int | None = None,
    rate: float | None = None,
    duration_s: float,
    warmup_s: float = 0.0,
    timeout_s: float = 10.0,
    max_requests: int | None = None,
    processes: int | None = None,
    server_pid: int | None = None,
    progress: Callable[[StageProgress], None] | None = None,
    schedule: tuple[tuple[float, int], ...] = (),
    schedule_period_s: float = 0.0,
    connect_stagger_s: float | None = None,
) -> StageResult:
    """Closed loop with ``ccu`` virtual users, or open loop at ``rate`` req/s (``ccu`` = connection cap);
    with ``schedule`` ((offset s, template index) pairs, ``rate`` their mean rate) an open-loop replay,
    repeated every ``schedule_period_s`` (0: once). Processes take every n-th scheduled request.
    ``connect_stagger_s``: seconds between closed-loop users' first connections (None: the generator's
    default, spread over half the warm-up; see ``Generator.stagger_s``).

    Raises ``LoadInterrupted`` (a KeyboardInterrupt) carrying the partial stage on Ctrl-C.
    """
    if not plan.requests:
        raise UsageError("the request plan has no requests")
    if rate is None and not ccu:
        raise UsageError("a stage needs --ccu or --rate")
    if (ccu is not None and ccu < 1) or (rate is not None and rate <= 0):
        raise UsageError("--ccu and --rate must be positive")
    if not 0 < duration_s <= MAX_STAGE_SECONDS or not 0 <= warmup_s <= MAX_STAGE_SECONDS or timeout_s <= 0:
        raise UsageError(f"stage and warm-up seconds must be in (0, {MAX_STAGE_SECONDS:.0f}], timeout > 0")
    if processes is not None and processes < 1:
        raise UsageError("--processes must be at least 1")
    if server_pid is not None and not procs.pid_alive(server_pid):
        raise TargetError(f"--pid {server_pid}: no such process")
    budget = min(max_requests, MAX_STAGE_REQUESTS) if max_requests is not None else MAX_STAGE_REQUESTS
    if budget < 1:
        raise UsageError("--max-requests must be positive")
    conns = ccu if ccu else max(16, min(1024, int(math.ceil((rate or 0) * 0.1))))
    n = max(1, min(processes or default_processes(ccu, rate), conns))
    label = f"rate {rate:g}/s" if rate else f"ccu {ccu}"
    children: list[_Child] = []
    cfg_paths: list[str] = []
    interrupted = False
    sampler: ProcessSampler | None = None
    server: ServerMetrics | None = None
    host0 = host1 = None
    connect_to = connect_address(plan)
    try:
        for i, (vus, reqs) in enumerate(zip(_split(conns, n), _split(budget, n), strict=True)):
            cfg = {"plan": plan.to_dict(), "connect_host": connect_to, "mode": "rate" if rate else "ccu", "vus": vus,
                   "rate": (rate / n) if rate else None, "warmup_s": warmup_s, "duration_s": duration_s,
                   "timeout_s": timeout_s, "max_requests": max(1, reqs), "index": i, "stride": n, "seed": None,
                   "schedule": list(schedule[i::n]), "schedule_period_s": schedule_period_s,
                   "connect_stagger_s": connect_stagger_s}
            with tempfile.NamedTemporaryFile("w", prefix=deathwatch.temp_prefix("load"), suffix=".json",
                                             delete=False) as fh:
                json.dump(cfg, fh)
                cfg_paths.append(fh.name)
            err_path = fh.name + ".stderr"
            cfg_paths.append(err_path)
            with open(err_path, "wb") as err:
                proc = procs.spawn(child_argv(fh.name), stdout=subprocess.PIPE, stderr=err.fileno())
            children.append(_Child(proc))
        start = time.monotonic()
        recent: collections.deque[tuple[float, int]] = collections.deque(maxlen=21)  # (time, completed), ~2 s
        deadline = start + STARTUP_SLACK_S + warmup_s + duration_s + timeout_s + 5.0
        try:
            while not all(c.done() for c in children):
                if sampler is None and host0 is None and any(c.measuring for c in children):
                    host0 = host_cpu_times()
                    sampler = ProcessSampler(server_pid).start() if server_pid else None
                if host0 is not None and host1 is None and any(c.result for c in children):
                    host1, server = host_cpu_times(), sampler.stop() if sampler else None
                if progress is not None:
                    progress(_live(label, children, time.monotonic() - start, warmup_s + duration_s, recent))
                if time.monotonic() > deadline:
                    _signal_all(children)
                    _wait_results(children, 3.0)
                    interrupted = True
                    break
                time.sleep(0.1)
        except KeyboardInterrupt:
            interrupted = True
            _signal_all(children)
            _wait_results(children, 3.0)
        if host0 is not None and host1 is None:
            host1, server = host_cpu_times(), sampler.stop() if sampler else None
    finally:
        for c in children:
            procs.release(c.proc, grace_s=2.0)
        results = [c.result for c in children if c.result is not None]
        why = "" if results else _last_line([p for p in cfg_paths if p.endswith(".stderr")])
        for path in cfg_paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
    crashed = [r["crash"] for r in results if r.get("crash")]
    if crashed:
        raise WorkerAdvisorError(f"load generator failed: {crashed[0]}")
    if not results and not interrupted:
        codes = [c.proc.returncode for c in children]
        raise WorkerAdvisorError(f"load generator processes exited without a result (exit codes {codes}): {why}")
    stage = merge_results(results, ccu=ccu, rate=rate, server=server, host=(host0, host1),
                          partial=interrupted or any(r.get("partial") for r in results))
    if interrupted:
        raise LoadInterrupted(stage)
    return stage


def connect_address(plan: RequestPlan, timeout_s: float = 1.0) -> str:
    """The address generators connect to: one the loopback guard resolved (``plan.addresses``),
    never the name again. With several (``localhost``: ::1 and 127.0.0.1) the first that accepts
    a TCP connection, so a server bound to one family only is still found; else the first."""
    if not plan.addresses:  # not resolvable when the plan was built (only possible with --allow-remote)
        return plan.host
    for addr in plan.addresses:
        with contextlib.suppress(OSError), socket.create_connection((addr, plan.port), timeout=timeout_s):
            return addr
    return plan.addresses[0]


def _last_line(paths: list[str]) -> str:
    for path in paths:
        with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as fh:
            lines = [line.strip() for line in fh if line.strip()]
            if lines:
                return lines[-1]
    return "no error output"


def _signal_all(children: list[_Child]) -> None:
    for c in children:
        if c.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.kill(c.proc.pid, signal.SIGINT)


def _wait_results(children: list[_Child], timeout_s: float) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and not all(c.done() for c in children):
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(0.05)


def _live(label: str, children: list[_Child], elapsed: float, total: float,
          recent: collections.deque[tuple[float, int]]) -> StageProgress:
    """Live figures: RPS over about the last second, the worst child's p99 so far, errors so far."""
    ok = sum(int(c.progress.get("ok", 0)) for c in children)
    errors = sum(int(c.progress.get("err", 0)) for c in children)
    p99 = max((float(c.progress.get("p99_us", 0)) for c in children), default=0.0) / 1000.0
    now = time.monotonic()
    recent.append((now, ok))
    t0, ok0 = recent[0]
    rps = (ok - ok0) / (now - t0) if now - t0 > 0.2 else 0.0
    measuring = any(c.measuring for c in children)
    return StageProgress(label, elapsed, total, measuring, ok, rps, p99, errors)


def merge_results(results: list[dict[str, Any]], *, ccu: int | None, rate: float | None,
                  server: ServerMetrics | None, host: tuple[Any, Any], partial: bool) -> StageResult:
    hist = new_histogram()
    errors: dict[str, int] = {}
    rps = cpu_pct = 0.0
    per_proc_cpu: list[float] = []
    windows: list[float] = []
    for r in results:
        hist.decode_and_add(r["hist"])
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + int(v)
        window = float(r["window_s"])
        if window > 0:
            windows.append(window)
            rps += r["ok"] / window
            per_proc_cpu.append(100.0 * r["cpu_s"] / window)
    cpu_pct = sum(per_proc_cpu)
    (idle0, total0), (idle1, total1) = host if host[0] is not None and host[1] is not None else ((0, 0), (0, 1))
    host_idle = 100.0 * (idle1 - idle0) / max(total1 - total0, 1e-9) if host[0] is not None else 0.0
    bound, reason = False, ""
    worst = max(per_proc_cpu, default=0.0)
    if worst > GENERATOR_BOUND_CPU:
        bound, reason = True, f"a generator process used {worst:.0f}% of a core (> {GENERATOR_BOUND_CPU:.0f}%)"
    return StageResult(
        kind="rate" if rate else "ccu", ccu=ccu, rate=rate,
        duration_s=round(sum(windows) / len(windows), 3) if windows else 0.0,
        requests=sum(int(r["ok"]) for r in results), rps=round(rps, 2), latency_ms=summarize(hist),
        errors=ErrorCounts(**errors), bytes_received=sum(int(r["bytes"]) for r in results), server=server,
        generator_cpu_percent=round(cpu_pct, 1), host_cpu_idle_percent=round(max(0.0, host_idle), 1),
        generator_bound=bound, generator_bound_reason=reason, partial=partial,
        generator_processes=len(results), requests_sent=sum(int(r.get("sent", 0)) for r in results),
        operations=merge_operations(results, sum(windows) / len(windows) if windows else 0.0),
    )


def summarize(hist: Any) -> LatencySummary:
    count = hist.get_total_count()
    if not count:
        return LatencySummary(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def ms(us: float) -> float:
        return round(us / 1000.0, 3)

    return LatencySummary(
        count=count, mean=ms(hist.get_mean_value()), p50=ms(hist.get_value_at_percentile(50)),
        p90=ms(hist.get_value_at_percentile(90)), p95=ms(hist.get_value_at_percentile(95)),
        p99=ms(hist.get_value_at_percentile(99)), p999=ms(hist.get_value_at_percentile(99.9)),
        max=ms(hist.get_max_value()),
    )
