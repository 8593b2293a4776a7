"""``profile_server``: the whole live profile of a running server, callable without the CLI.

Order: headline window first (schedstat only, zero overhead), then the py-spy attribution
passes in a separate window, so py-spy's cost (it stops the target per sample) never touches
the headline numbers.
"""

from __future__ import annotations

from dataclasses import replace

from workeradvisor import procs
from workeradvisor.errors import EXIT_INTERRUPTED, PermissionDeniedError, UsageError
from workeradvisor.models.load import RequestPlan
from workeradvisor.models.profile import ProfileResult
from workeradvisor.profile import assemble
from workeradvisor.profile.attribution import LoopAttribution, attribute, names_only
from workeradvisor.profile.findings import ScanInput, StaticFinding, load_findings
from workeradvisor.profile.pyspy import find_py_spy
from workeradvisor.profile.targets import check_python_pid, reload_detected, workers_of
from workeradvisor.profile.windows import WindowHook, attribution_passes, headline

DEFAULT_DURATION_S = 3.0


def profile_server(
    server_pid: int,
    *,
    duration_s: float = DEFAULT_DURATION_S,
    idle: bool = False,
    plan: RequestPlan | None = None,
    attribution: bool = True,
    scan: ScanInput | None = None,
    ccu: int = 1,
    rate: float | None = None,
    requests: int | None = None,
    attribution_s: float | None = None,
    rate_hz: int = 75,
    target: str = "",
    on_window: WindowHook | None = None,
    timeout_s: float = 10.0,
) -> ProfileResult:
    """Profile the uvicorn/gunicorn server at ``server_pid`` (the supervisor or a single worker).

    ``plan``: a ``workeradvisor.load`` RequestPlan; when given, light closed-loop traffic (``ccu`` users;
    or, in the headline window, open loop at ``rate`` req/s) runs in both windows and per-request figures
    are reported. ``requests``: with no plan, the number of requests someone else sent during the
    headline window. ``idle``: no traffic; per-thread CPU and the culprits. ``scan``: the ScanResult, or
    scan JSON (path, parsed document or list of findings) read by the one scan reader. ``on_window``:
    called with "start"/"stop" at the headline window's edges (benchmarks read the app's own ground truth there).
    """
    check_python_pid(server_pid)
    if attribution:
        find_py_spy()  # fail fast, before the headline window, when py-spy is missing
    if idle and plan is not None:
        raise UsageError("--idle measures with no traffic; drop --path/--requests or drop --idle")
    findings: list[StaticFinding] = load_findings(scan) if scan is not None else []
    workers = workers_of(server_pid)
    watched = sorted({server_pid, *workers}) if idle else workers
    notes: list[str] = []
    windows, stage = headline(watched, duration_s=duration_s, plan=plan, ccu=ccu, rate=rate, server_pid=server_pid,
                              on_window=on_window, timeout_s=timeout_s)
    died = [pid for pid, w in windows.items() if w.died]
    if died:
        notes.append(f"process(es) {', '.join(map(str, died))} exited during the headline window: partial data")
    attributions: dict[int, LoopAttribution] = {}
    attribution_error: tuple[str, int] = ("", 0)
    spy_runs = {}
    if plan is None and not idle and requests is None:
        notes.append("no traffic was sent: per-request figures need --app with --path (or --requests N with --pid)")
    alive = [pid for pid in workers if procs.pid_alive(pid)]
    if attribution and alive:
        secs = attribution_s if attribution_s is not None else max(1.0, min(duration_s, 3.0))
        try:
            spy_runs = attribution_passes(alive, duration_s=secs, plan=plan, ccu=ccu, rate_hz=rate_hz,
                                           timeout_s=timeout_s, on_cpu_only=idle)
        except PermissionDeniedError as exc:  # keep the headline numbers; the CLI still exits 4
            attribution_error = (str(exc), exc.exit_code)
        except KeyboardInterrupt:  # Ctrl-C in the attribution window: report the headline, exit 130
            attribution_error = ("interrupted during the attribution window", EXIT_INTERRUPTED)
        for pid, (every, on_cpu) in spy_runs.items():
            attributions[pid] = names_only(on_cpu) if idle else attribute(every, on_cpu)
            if every.target_died or on_cpu.target_died:
                died.append(pid)
                notes.append(f"worker {pid} exited during the attribution window: partial data")
        lost = [pid for pid in alive if pid not in spy_runs]
        if lost and not attribution_error[0]:
            died.extend(lost)
            notes.append(f"no attribution samples for worker(s) {', '.join(map(str, lost))}")
    result = assemble.build(
        target=target or f"pid {server_pid}",
        server_pid=server_pid,
        workers=workers,
        windows=windows,
        attributions=attributions,
        spy_runs=spy_runs,
        stage=stage,
        requests=requests,
        ccu=ccu,
        idle=idle,
        reload=reload_detected(server_pid),
        findings=findings,
        notes=notes,
        partial=bool(died),
    )
    if attribution_error[0]:
        result = replace(result, attribution_error=attribution_error[0], attribution_error_code=attribution_error[1])
    return result


def profile_idle(server_pid: int, *, duration_s: float = DEFAULT_DURATION_S, attribution: bool = True,
                 target: str = "") -> ProfileResult:
    """No traffic: CPU% per process and thread, the culprit threads and their hottest stacks."""
    return profile_server(server_pid, duration_s=duration_s, idle=True, attribution=attribution, target=target)
