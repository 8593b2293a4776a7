"""``workeradvisor load``: run a CCU ladder or a constant-rate stage, or import another tool's results."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from workeradvisor import procs
from workeradvisor.commands.progress import StageLine
from workeradvisor.errors import EXIT_INTERRUPTED, TargetError, UsageError, WorkerAdvisorError
from workeradvisor.load import LoadInterrupted, build_plan, run_ladder, run_stage
from workeradvisor.load.importers import import_file
from workeradvisor.load.ladder import every_stage_failed
from workeradvisor.load.locust_engine import LocustOptions, check_options, locust_executable
from workeradvisor.load.locust_ladder import run_locust_ladder
from workeradvisor.load.locustfile import render_locustfile
from workeradvisor.load.openapi import DEFAULT_METHODS
from workeradvisor.load.replay import replay_note, replay_stage
from workeradvisor.models.load import LoadResult
from workeradvisor.orchestrate.traffic import check_traffic_options, chosen_traffic, method_list
from workeradvisor.report.formats import LOAD_FORMATS
from workeradvisor.report.output import choose, validate_output, write_report

FORMATS = tuple(LOAD_FORMATS)


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--ccu {text!r}: expected comma-separated integers like 30,60,100") from None
    if not values or any(v < 1 for v in values):
        raise UsageError("--ccu values must be positive integers")
    return values


def _headers(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {item!r}: expected 'Name: value'")
        out[name.strip()] = value.strip()
    return out


def _emit(result: LoadResult, fmt: str, output: str | None) -> None:
    write_report(choose(LOAD_FORMATS, fmt)(result), output)


def load(
    url: str = typer.Argument(None, help="Target, e.g. http://127.0.0.1:8000/ (loopback only unless --allow-remote)."),
    ccu: str = typer.Option("30,60,100", "--ccu", help="Concurrent users per stage (closed loop); with --rate: "
                            "the connection cap."),
    stage_seconds: float = typer.Option(10.0, "--stage-seconds", help="Measured seconds per stage."),
    warmup: float = typer.Option(2.0, "--warmup", help="Unmeasured seconds before each stage."),
    rate: float = typer.Option(None, "--rate", help="Open loop: constant arrival rate in requests/s."),
    requests_spec: str = typer.Option(None, "--requests", help="YAML request spec (see docs/load.md)."),
    method: str = typer.Option("GET", "--method", help="HTTP method when no --requests spec."),
    header: Annotated[list[str] | None, typer.Option("--header", help="'Name: value', repeatable.")] = None,
    json_body: str = typer.Option(None, "--json", help="JSON request body."),
    pid: int = typer.Option(None, "--pid", help="Server PID: sample its (and its workers') CPU and RSS."),
    processes: int = typer.Option(None, "--processes", help="Generator processes (default: from rate/CCU, cores)."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds before a request counts as a timeout."),
    max_requests: int = typer.Option(None, "--max-requests", help="Hard cap on requests sent over the whole run."),
    stop_on_p99: float = typer.Option(None, "--stop-on-p99", help="Stop when a stage's p99 exceeds this (ms)."),
    stop_on_errors: float = typer.Option(None, "--stop-on-errors", help="Stop when a stage's error fraction "
                                         "exceeds this (0..1)."),
    fmt: str = typer.Option("text", "--format", help="text | json | markdown"),
    output: str = typer.Option(None, "--output", help="Write the report to this file."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a target outside 127.0.0.0/8 / ::1."),
    import_path: str = typer.Option(None, "--import", help="Read results of wrk, oha, Locust, k6 or hey instead."),
    import_format: str = typer.Option("auto", "--import-format", help="auto | wrk | oha | locust | k6 | hey"),
    export_locustfile: str = typer.Option(None, "--export-locustfile", help="Write an equivalent locustfile and exit."),
    workers: int = typer.Option(None, "--workers", help="Server worker count, recorded in the result."),
    openapi: str = typer.Option(None, "--openapi", metavar="FILE|URL", help="Build the request mix from this "
                                "OpenAPI document (schema-valid bodies; operations failing their probe left out)."),
    methods: str = typer.Option(",".join(DEFAULT_METHODS), "--methods",
                                help="With --openapi: operations to load (DELETE only when named)."),
    access_log: str = typer.Option(None, "--access-log", metavar="FILE", help="Request mix from an access log "
                                   "(uvicorn, nginx/Apache combined, JSON lines), weighted by count."),
    speed: float = typer.Option(None, "--speed", help="With --access-log: replay at the logged timestamps, X "
                                "times as fast (open loop, one stage of --stage-seconds; the log repeats)."),
    engine: str = typer.Option("native", "--engine", help="native | locust (headless master + local workers; "
                               "see docs/load-engines.md)."),
    locust_workers: int = typer.Option(None, "--locust-workers", help="--engine locust: local worker processes "
                                       "(default: the cores this process may use)."),
    expect_workers: int = typer.Option(None, "--expect-workers", help="--engine locust: workers in all, the rest "
                                       "started by you on other machines (default: --locust-workers)."),
    locust_bind: str = typer.Option("127.0.0.1", "--locust-bind", help="--engine locust: HOST[:PORT] the master "
                                    "listens on (non-loopback needs --allow-remote)."),
) -> None:
    """Load test a server: CCU ladder (closed loop) or constant rate (open loop), or import results."""
    choose(LOAD_FORMATS, fmt)
    validate_output(output)
    if stop_on_errors is not None and not 0 <= stop_on_errors <= 1:
        raise UsageError("--stop-on-errors is a fraction between 0 and 1")
    ccus = _ints(ccu)
    if import_path:
        result = import_file(import_path, import_format, ccus[0] if len(ccus) == 1 else None)
        _emit(result, fmt, output)
        return
    if not url:
        raise UsageError("give a URL to load, or --import FILE")
    check_traffic_options(requests_spec, openapi, access_log, speed, rate)
    hdrs = _headers(header or [])
    plan = build_plan(url, spec_file=requests_spec, method=method, headers=hdrs, json_body=json_body,
                      allow_remote=allow_remote)  # validates the target before any probe request is sent
    traffic = chosen_traffic(url, openapi, access_log, method_list(methods), hdrs, json_body)
    if traffic is not None:
        plan = build_plan(url, requests=traffic.requests, allow_remote=allow_remote)
    if export_locustfile:
        Path(export_locustfile).write_text(render_locustfile(plan), encoding="utf-8")
        typer.echo(f"wrote {export_locustfile}", err=True)
        return
    locust_opts = None
    if engine != "native":
        locust_opts = locust_options(engine, locust_workers, expect_workers, locust_bind, allow_remote=allow_remote,
                                     rate=rate, processes=processes, max_requests=max_requests)
        if speed is not None:
            raise UsageError("--speed replays a log with the native engine; drop --engine locust")
    elif locust_workers is not None or expect_workers is not None:
        raise UsageError("--locust-workers and --expect-workers need --engine locust")
    view = StageLine(Console(stderr=True))
    notes = traffic.notes if traffic is not None else ()
    try:
        if locust_opts is not None:
            result = run_locust_ladder(plan, ccus, stage_seconds=stage_seconds, warmup_s=warmup, timeout_s=timeout,
                                       options=locust_opts, stop_on_p99_ms=stop_on_p99, stop_on_errors=stop_on_errors,
                                       server_pid=pid, progress=view, workers=workers)
            result = dataclasses.replace(result, notes=(*notes, *result.notes))
        elif speed is not None and traffic is not None and traffic.log is not None:
            stage = replay_stage(plan, traffic.log, speed, ccu=ccus[0] if ccu != "30,60,100" else None,
                                 duration_s=stage_seconds, warmup_s=warmup, timeout_s=timeout,
                                 max_requests=max_requests, processes=processes, server_pid=pid, progress=view)
            result = LoadResult(target=plan.base_url, stages=(stage,), workers=workers,
                                notes=(*notes, replay_note(traffic.log, speed, warmup + stage_seconds)))
        elif rate is not None:
            stage = run_stage(plan, rate=rate, ccu=ccus[0] if ccu != "30,60,100" else None, duration_s=stage_seconds,
                              warmup_s=warmup, timeout_s=timeout, max_requests=max_requests, processes=processes,
                              server_pid=pid, progress=view)
            result = LoadResult(target=plan.base_url, stages=(stage,), workers=workers, notes=notes)
        else:
            result = run_ladder(plan, ccus, stage_seconds=stage_seconds, warmup_s=warmup, timeout_s=timeout,
                                max_requests=max_requests, processes=processes, stop_on_p99_ms=stop_on_p99,
                                stop_on_errors=stop_on_errors, server_pid=pid, progress=view, workers=workers)
            result = dataclasses.replace(result, notes=(*notes, *result.notes))
    except LoadInterrupted as exc:
        view.close()
        partial = exc.result if isinstance(exc.result, LoadResult) else LoadResult(
            target=plan.base_url, stages=(exc.stage,) if exc.stage else (), workers=workers, interrupted=True)
        _emit(partial, fmt, output)
        # Not KeyboardInterrupt/typer.Exit: typer turns those into a return value that cli.main drops.
        raise WorkerAdvisorError("interrupted; finished stages and the partial one were reported",
                                 exit_code=EXIT_INTERRUPTED) from None
    finally:
        view.close()
    _emit(result, fmt, output)
    _fail_if_target_unreachable(result)


def locust_options(engine: str, workers: int | None, expect: int | None, bind: str, *, allow_remote: bool,
                   rate: float | None, processes: int | None, max_requests: int | None) -> LocustOptions:
    """``--engine locust``'s options, checked before anything starts (exit 2 on a bad combination)."""
    if engine != "locust":
        raise UsageError(f"--engine {engine!r}: use native or locust")
    clash = [flag for flag, value in (("--rate", rate), ("--processes", processes), ("--max-requests", max_requests))
             if value is not None]
    if clash:
        raise UsageError(f"{', '.join(clash)} cannot be used with --engine locust (closed-loop CCU stages only)")
    m = re.fullmatch(r"\[([^\]]+)\](?::(.*))?|([^:]*)(?::(.*))?|(.*)", bind.strip())
    assert m is not None  # the last alternative matches anything
    host = m.group(1) or m.group(3) or m.group(5) or "127.0.0.1"
    port_text = m.group(2) or m.group(4) or ""
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise UsageError(f"--locust-bind {bind!r}: expected HOST or HOST:PORT")
    n = workers if workers is not None else procs.this_process_cpu_count()
    opts = LocustOptions(workers=n, expect_workers=expect, bind_host=host,
                         bind_port=int(port_text) if port_text else None)
    check_options(opts, allow_remote=allow_remote)
    locust_executable()  # exit 5 with the install command now, not after the first stage's set-up
    return opts


def _fail_if_target_unreachable(result: LoadResult) -> None:
    """Every stage failed (refused, timed out, malformed or 5xx): reported, but exit 3."""
    reason = every_stage_failed(result)
    if reason:
        raise TargetError(reason)
