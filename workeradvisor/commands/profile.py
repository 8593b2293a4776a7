"""``workeradvisor profile``: where the event loop's time goes, per request and at idle."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.commands.options import EnvFileOpt, EnvOpt, LaunchFlags, PreloadOpt, PythonOpt, ServerOpt
from workeradvisor.commands.progress import StepDisplay, profile_summary, window_hook
from workeradvisor.errors import EXIT_INTERRUPTED, TargetError, UsageError, WorkerAdvisorError
from workeradvisor.launch import serve
from workeradvisor.models.profile import ProfileResult
from workeradvisor.profile import profile_server
from workeradvisor.report.formats import PROFILE_FORMATS
from workeradvisor.report.output import validate_output, write_report


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _plan(base_url: str, paths: list[str], spec: str | None):  # RequestPlan lives in load
    from workeradvisor.load import build_plan

    if spec:
        return build_plan(base_url, spec_file=spec)
    return build_plan(base_url, paths=paths) if paths else None


PidOpt = Annotated[int | None, typer.Option("--pid", help="Attach to a running uvicorn/gunicorn server.")]
AppOpt = Annotated[str | None, typer.Option("--app", help="Start TARGET: path/to/file.py:app or pkg.module:app.")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="uvicorn workers when starting --app.")]
AppDirOpt = Annotated[str | None, typer.Option("--app-dir", help="Directory uvicorn imports --app from.")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port for --app (default: a free one).")]
PathOpt = Annotated[list[str] | None, typer.Option("--path", help="Path to request while profiling --app.")]
DurationOpt = Annotated[float, typer.Option("--duration", min=0.5, max=3600, help="Seconds per window.")]
IdleOpt = Annotated[bool, typer.Option("--idle", help="No traffic: CPU per process and thread, culprits.")]
RequestsOpt = Annotated[str | None, typer.Option("--requests", help="--pid: requests served (N); --app: spec.yaml.")]
CcuOpt = Annotated[int, typer.Option("--ccu", min=1, max=64, help="Concurrent users for the light traffic.")]
AttrOpt = Annotated[bool, typer.Option("--attribution/--no-attribution", help="Run the py-spy pass.")]
ScanOpt = Annotated[str | None, typer.Option("--scan", help="scan JSON: mark findings confirmed at runtime.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", help="Write the report here instead of stdout.")]


def profile(
    pid: PidOpt = None,
    app: AppOpt = None,
    workers: WorkersOpt = 1,
    app_dir: AppDirOpt = None,
    port: PortOpt = None,
    path: PathOpt = None,
    duration: DurationOpt = 3.0,
    idle: IdleOpt = False,
    requests: RequestsOpt = None,
    ccu: CcuOpt = 1,
    attribution: AttrOpt = True,
    scan: ScanOpt = None,
    fmt: FormatOpt = Format.text,
    output: OutputOpt = None,
    python: PythonOpt = None,
    server: ServerOpt = "uvicorn",
    preload: PreloadOpt = False,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
) -> None:
    """Measure a live server: loop busy fraction (schedstat), per-request CPU, idle CPU, blocking sites."""
    validate_output(output)
    launch = LaunchFlags(python, server, env=tuple(env or ()), env_file=env_file, preload=preload)
    if pid is not None and launch != LaunchFlags():
        raise UsageError("--python, --server, --preload and --env apply to --app (a server workeradvisor starts), "
                         "not --pid")
    display = StepDisplay(log_lines=False)  # off a terminal stderr stays the one error line (docs/profile.md)
    try:
        result = _measure(pid, app, workers, app_dir, port, path or [], duration, idle, requests, ccu, attribution,
                          scan, launch, display)
    except KeyboardInterrupt:  # typer would turn this into a silent return; make it exit 130
        raise WorkerAdvisorError("interrupted before the headline window finished", EXIT_INTERRUPTED) from None
    finally:
        display.close()
    write_report(PROFILE_FORMATS[fmt.value](result), output)
    if result.attribution_error:
        raise WorkerAdvisorError(result.attribution_error, result.attribution_error_code)
    if result.partial:
        raise TargetError("a target process exited during the profile; the partial results above were reported")


def _measure(pid: int | None, app: str | None, workers: int, app_dir: str | None, port: int | None, path: list[str],
             duration: float, idle: bool, requests: str | None, ccu: int, attribution: bool,
             scan: str | None, launch: LaunchFlags, display: StepDisplay) -> ProfileResult:
    if (pid is None) == (app is None):
        raise UsageError("give exactly one of --pid PID or --app TARGET")
    count, spec = _requests_arg(requests, pid is not None)
    if pid is not None:
        if path:
            raise UsageError("--path drives traffic only with --app; with --pid, pass --requests N from your own load")
        display.start("[1/1] profile", _window_text(duration, idle, attribution))
        result = profile_server(pid, duration_s=duration, idle=idle, attribution=attribution, scan=scan,
                                requests=count, ccu=ccu, target=f"pid {pid}",
                                on_window=window_hook(display, attribution))
        _finish(display, result)
    else:
        assert app is not None
        if idle and (path or spec):
            raise UsageError("--idle measures with no traffic; drop --path/--requests")
        display.start("[1/2] launch", f"{launch.server or 'uvicorn'} {app}, {workers} worker(s)")
        with serve(app, app_dir=app_dir, workers=workers, port=port, launch=launch.spec(app)) as server:
            display.finish(f"pid {server.pid} on {server.base_url}")
            plan = _plan(server.base_url, path, spec)
            display.start("[2/2] profile", _window_text(duration, idle, attribution))
            result = profile_server(server.pid, duration_s=duration, idle=idle, plan=plan, attribution=attribution,
                                    scan=scan, ccu=ccu, target=app, on_window=window_hook(display, attribution))
            _finish(display, result)
    return result


def _finish(display: StepDisplay, result: ProfileResult) -> None:
    """A step line for a clean profile; a partial or unattributed one ends in its one error line."""
    if not (result.partial or result.attribution_error):
        display.finish(profile_summary(result))


def _window_text(duration: float, idle: bool, attribution: bool) -> str:
    what = f"{duration:g} s {'with no traffic' if idle else 'window'}"
    return what + (" + py-spy pass" if attribution else "")


def _requests_arg(value: str | None, attached: bool) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if value.isdigit():
        if not attached:
            raise UsageError("--requests N counts someone else's traffic (with --pid); with --app use --path")
        return int(value), None
    if attached:
        raise UsageError("--requests with --pid must be a request count")
    if not Path(value).is_file():
        raise UsageError(f"--requests spec file not found: {value}")
    return None, value
