"""``load --engine locust``: each CCU stage on Locust, headless master plus N workers, same result model.

Why: one machine's generator runs out before a large server does; Locust's master/worker mode
spreads virtual users over processes and machines. Each stage is one Locust run (users = spawn
rate = CCU) of the locustfile ``--export-locustfile`` writes plus ``locust_hook``'s measured
window. Locust's ``--csv`` stats are read by the Locust importer, so percentiles, failures and RPS
mean what they mean for an import; client CPU (every Locust process, psutil), host idle CPU and
server CPU/RSS are sampled over the measured window, as for the native engine. Every process is
started through ``procs.spawn`` (deathwatch trampoline, own group) and stopped by PID.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from workeradvisor import deathwatch, procs
from workeradvisor.errors import TargetError, ToolMissingError, UsageError, WorkerAdvisorError
from workeradvisor.load.importers import locust as locust_import
from workeradvisor.load.locust_hook import measured_window_hook
from workeradvisor.load.locustfile import render_locustfile
from workeradvisor.load.runner import (
    GENERATOR_BOUND_CPU,
    MAX_STAGE_SECONDS,
    LoadInterrupted,
    StageProgress,
    connect_address,
)
from workeradvisor.load.spec import RequestPlan, is_loopback
from workeradvisor.models.load import ServerMetrics, StageResult
from workeradvisor.procstat import ProcessSampler, host_cpu_times
from workeradvisor.safeio import MAX_RESULT_FILE, read_bounded

INSTALL_HINT = "pip install locust"
FINAL_WAIT_S = 5.0  # the master waits this long for workers' last reports, then for its CSV
SHUTDOWN_SLACK_S = 20.0  # Locust start-up (imports, workers connecting) and shutdown, beyond the waits
HostTimes = tuple[float, float]  # (idle, total) CPU seconds of the host, from ``host_cpu_times``


@dataclass(frozen=True)
class LocustOptions:
    """``--locust-workers N`` local workers; ``--expect-workers K`` in all (the rest started by the user
    elsewhere); the master listens on ``bind`` (``--locust-bind HOST[:PORT]``, loopback by default)."""

    workers: int = 2
    expect_workers: int | None = None
    bind_host: str = "127.0.0.1"
    bind_port: int | None = None  # None: a free port per stage
    connect_wait_s: float = 30.0

    @property
    def expected(self) -> int:
        return self.expect_workers if self.expect_workers is not None else self.workers


def check_options(opts: LocustOptions, *, allow_remote: bool) -> None:
    if opts.workers < 0 or opts.expected < 1 or opts.expected < opts.workers:
        raise UsageError("--locust-workers must be >= 0 and --expect-workers >= 1 and >= --locust-workers")
    if not allow_remote and not is_loopback(opts.bind_host):
        raise UsageError(f"--locust-bind {opts.bind_host}: not a loopback address; pass --allow-remote to let "
                         "workers on other machines connect")


def locust_executable() -> str:
    """The ``locust`` next to our interpreter (its venv), else on PATH; exit 5 with the install command."""
    here = Path(sys.executable).with_name("locust")
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("locust")
    if found:
        return found
    raise ToolMissingError(f"--engine locust needs Locust, which is not installed: {INSTALL_HINT}")


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def target_url(plan: RequestPlan) -> str:
    """The origin Locust connects to: the address the loopback guard resolved, never the name again."""
    addr = connect_address(plan)
    host = f"[{addr}]" if ":" in addr else addr
    return f"{plan.scheme}://{host}:{plan.port}"


class _Run:
    """One Locust run's files and processes; everything here is ours to remove and stop."""

    def __init__(self, prefix: str | None = None) -> None:
        if prefix is None:  # a fresh temporary name the watchdog removes if we die (deathwatch)
            fd, lf = tempfile.mkstemp(prefix=deathwatch.temp_prefix("load"), suffix="_locustfile.py")
            os.close(fd)
            prefix = lf[: -len("_locustfile.py")]
        self.prefix = prefix
        self.locustfile = prefix + "_locustfile.py"
        self.out = self.prefix + "_master.out"
        self.err = self.prefix + "_master.err"
        self.master: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def files(self) -> list[str]:
        tails = ("_locustfile.py", "_master.out", "_master.err", "_worker.err", "_stats.csv", "_stats_history.csv",
                 "_failures.csv", "_exceptions.csv")
        return [self.prefix + t for t in tails]

    def all_procs(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.master, *self.workers) if p is not None]

    def stop(self) -> None:
        for proc in reversed(self.all_procs()):
            procs.release(proc, grace_s=2.0)
        for path in self.files():
            with contextlib.suppress(OSError):
                os.unlink(path)

    def markers(self) -> list[str]:
        with contextlib.suppress(OSError), open(self.out, encoding="utf-8", errors="replace") as fh:
            return [line.split(None, 1)[1].strip() for line in fh if line.startswith("WORKERADVISOR ")]
        return []


class _CpuWindow:
    """CPU seconds of every Locust process between two instants (last reading kept per PID)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start: dict[int, float] = {}
        self.end: dict[int, float] = {}
        self.t0 = self.t1 = 0.0

    @staticmethod
    def _read(pids: list[int]) -> dict[int, float]:
        out = {}
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                out[pid] = t.user + t.system
        return out

    def open(self) -> None:
        self.t0, self.start = time.monotonic(), self._read(self.pids)

    def close(self) -> None:
        self.t1, self.end = time.monotonic(), self._read(self.pids)

    def per_process_percent(self) -> list[float]:
        span = self.t1 - self.t0
        if span <= 0:
            return []
        return [100.0 * max(0.0, self.end[p] - self.start[p]) / span for p in self.start if p in self.end]


def _argv_master(exe: str, run: _Run, plan: RequestPlan, ccu: int, opts: LocustOptions, port: int) -> list[str]:
    return [exe, "-f", run.locustfile, "--headless", "--master", "--master-bind-host", opts.bind_host,
            "--master-bind-port", str(port), "--expect-workers", str(opts.expected),
            "--expect-workers-max-wait", str(int(opts.connect_wait_s)), "-u", str(ccu), "-r", str(ccu),
            "--host", target_url(plan), "--csv", run.prefix, "--only-summary", "--exit-code-on-error", "0",
            "--loglevel", "WARNING"]


def _argv_worker(exe: str, run: _Run, opts: LocustOptions, port: int) -> list[str]:
    host = "127.0.0.1" if opts.bind_host in ("0.0.0.0", "::", "") else opts.bind_host
    return [exe, "-f", run.locustfile, "--worker", "--master-host", host, "--master-port", str(port),
            "--loglevel", "WARNING"]


def _progress(run: _Run, label: str, elapsed: float, total: float, measuring: bool) -> StageProgress:
    """Live figures from the CSV Locust rewrites each second (measured window only)."""
    requests = errors = 0
    rps = p99 = 0.0
    with contextlib.suppress(OSError, ValueError, KeyError, IndexError):
        text = Path(run.prefix + "_stats.csv").read_text(encoding="utf-8")
        row = [r for r in text.splitlines() if ",Aggregated," in r][0].split(",")
        head = text.splitlines()[0].split(",")
        values = dict(zip(head, row, strict=False))
        requests, errors = int(values["Request Count"]), int(values["Failure Count"])
        rps = float(values["Requests/s"])
        p99 = float(values["99%"]) if values["99%"] not in ("N/A", "") else 0.0
    return StageProgress(label, elapsed, total, measuring, requests, rps, p99, errors)


def run_locust_stage(plan: RequestPlan, *, ccu: int, duration_s: float, warmup_s: float = 0.0,
                     timeout_s: float = 10.0, options: LocustOptions | None = None, server_pid: int | None = None,
                     progress: Callable[[StageProgress], None] | None = None) -> StageResult:
    """One closed-loop stage of ``ccu`` users on Locust. Raises ``LoadInterrupted`` on Ctrl-C."""
    opts = options or LocustOptions()
    if ccu < 1 or not plan.requests:
        raise UsageError("a Locust stage needs --ccu >= 1 and at least one request")
    if not 0 < duration_s <= MAX_STAGE_SECONDS or not 0 <= warmup_s <= MAX_STAGE_SECONDS or timeout_s <= 0:
        raise UsageError(f"stage and warm-up seconds must be in (0, {MAX_STAGE_SECONDS:.0f}], timeout > 0")
    if server_pid is not None and not procs.pid_alive(server_pid):
        raise TargetError(f"--pid {server_pid}: no such process")
    exe = locust_executable()
    run = _Run()
    run_s = warmup_s + duration_s
    Path(run.locustfile).write_text(render_locustfile(plan) + measured_window_hook(
        warmup_s=warmup_s, run_s=run_s, timeout_s=timeout_s, host_header=plan.host_header,
        final_wait_s=FINAL_WAIT_S), encoding="utf-8")
    port = opts.bind_port or _free_port(opts.bind_host)
    cpu: _CpuWindow | None = None
    sampler: ProcessSampler | None = None
    host0: HostTimes | None = None
    host1: HostTimes | None = None
    server: ServerMetrics | None = None
    interrupted = False
    try:
        with open(run.out, "wb") as out, open(run.err, "wb") as err:
            run.master = procs.spawn(_argv_master(exe, run, plan, ccu, opts, port), stdout=out.fileno(),
                                     stderr=err.fileno())
        with open(run.prefix + "_worker.err", "wb") as werr:
            run.workers = [procs.spawn(_argv_worker(exe, run, opts, port), stderr=werr.fileno())
                           for _ in range(opts.workers)]
        deadline = time.monotonic() + opts.connect_wait_s + run_s + 2 * FINAL_WAIT_S + SHUTDOWN_SLACK_S
        label = f"ccu {ccu} (locust)"
        try:
            while run.master.poll() is None:
                seen = run.markers()
                if cpu is None and "measure" in seen:
                    cpu = _CpuWindow([p.pid for p in run.all_procs()])
                    cpu.open()
                    host0 = host_cpu_times()
                    sampler = ProcessSampler(server_pid).start() if server_pid else None
                if cpu is not None and host1 is None and "window-end" in seen:
                    cpu.close()
                    host1, server = host_cpu_times(), sampler.stop() if sampler else None
                if progress is not None and cpu is not None and host1 is None:  # the clock starts at "measure"
                    elapsed = min(warmup_s + time.monotonic() - cpu.t0, run_s - 0.01)
                    progress(_progress(run, label, elapsed, run_s, True))
                if time.monotonic() > deadline:
                    raise WorkerAdvisorError(f"Locust did not finish a {run_s:g} s stage in time; "
                                             f"master: {_last_line(run.err)}", exit_code=3)
                time.sleep(0.1)
        except KeyboardInterrupt:
            interrupted = True
        if cpu is not None and host1 is None:
            cpu.close()
            host1, server = host_cpu_times(), sampler.stop() if sampler else None
        code = run.master.poll()
        if code and not interrupted:
            raise WorkerAdvisorError(f"the Locust master failed (exit {code}): {_last_line(run.err)}", exit_code=3)
        stage = _read_stage(run, ccu, interrupted)
    finally:
        if sampler is not None and host1 is None:
            sampler.stop()
        run.stop()
    if stage is None:
        raise LoadInterrupted(None)
    stage = _with_measurements(stage, cpu, (host0, host1), server, len(run.all_procs()))
    if progress is not None:
        progress(StageProgress(f"ccu {ccu} (locust)", run_s, run_s, True, stage.requests, stage.rps,
                               stage.latency_ms.p99 or 0.0, stage.errors.total))
    if interrupted:
        raise LoadInterrupted(stage)
    return stage


def _read_stage(run: _Run, ccu: int, interrupted: bool) -> StageResult | None:
    """The measured stage from Locust's CSV; None when interrupted before it wrote one."""
    path = Path(run.prefix + "_stats.csv")
    try:
        text = read_bounded(path, "Locust stats", MAX_RESULT_FILE)
        stage = locust_import.parse(path, text).stages[0]
    except (OSError, ValueError, WorkerAdvisorError) as exc:
        if interrupted:
            return None
        raise WorkerAdvisorError(f"Locust wrote no usable stats ({exc}); master: {_last_line(run.err)}; "
                                 f"worker: {_last_line(run.prefix + '_worker.err')}", exit_code=3) from None
    final = [m for m in run.markers() if m.startswith("final ")]
    if not interrupted and not final:
        raise WorkerAdvisorError(f"Locust stopped before the end of the stage; master: {_last_line(run.err)}",
                                 exit_code=3)
    if final and int(final[-1].split()[1]) != stage.latency_ms.count:
        raise WorkerAdvisorError(f"Locust's CSV holds {stage.latency_ms.count} requests, its master counted "
                                 f"{final[-1].split()[1]}: the stats file is incomplete", exit_code=70)
    return dataclasses.replace(stage, ccu=ccu, partial=interrupted)


def _with_measurements(stage: StageResult, cpu: _CpuWindow | None, host: tuple[HostTimes | None, HostTimes | None],
                       server: ServerMetrics | None, processes: int) -> StageResult:
    per_proc = cpu.per_process_percent() if cpu is not None else []
    worst = max(per_proc, default=0.0)
    bound = worst > GENERATOR_BOUND_CPU
    reason = f"a Locust process used {worst:.0f}% of a core (> {GENERATOR_BOUND_CPU:.0f}%)" if bound else ""
    idle = 0.0
    before, after = host
    if before is not None and after is not None:
        idle = max(0.0, 100.0 * (after[0] - before[0]) / max(after[1] - before[1], 1e-9))
    transport = stage.errors.connect + stage.errors.timeout + stage.errors.read
    return dataclasses.replace(
        stage, server=server, generator_cpu_percent=round(sum(per_proc), 1), host_cpu_idle_percent=round(idle, 1),
        generator_bound=bound, generator_bound_reason=reason, generator_processes=processes,
        requests_sent=stage.requests + transport)


def _last_line(path: str) -> str:
    with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as fh:
        lines = [line.strip() for line in fh if line.strip()]
        if lines:
            return lines[-1][:300]
    return "no error output"

