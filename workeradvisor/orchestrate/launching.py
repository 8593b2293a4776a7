"""The pipeline's launch-mode glue: the interpreter to use, the deploy line, predicted rows when attached.

Why resolve the interpreter once, up front: every restart (one per worker count) must run under the
same Python, and a missing server package must stop the run before any step, with the install
command, and no verdict (nothing was measured).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from workeradvisor.decide.capacity import predicted_max_rps
from workeradvisor.launch import parse_target
from workeradvisor.launchmodes import LaunchSpec, check_module, deploy_command, find_python
from workeradvisor.models.decision import Analysis, CapacityRow, Environment
from workeradvisor.models.launch import Deploy

if TYPE_CHECKING:
    from workeradvisor.orchestrate.pipeline import PipelineSettings


def label(launch: LaunchSpec) -> str:
    """How the server runs, for progress lines and profile targets."""
    if launch.mode == "attach":
        return f"attach to {launch.url}" + (f" (pid {launch.pid})" if launch.pid else "")
    if launch.mode == "cmd":
        return f"--cmd {launch.cmd}"
    return f"{launch.server} under {launch.python or 'the default interpreter'}"


def resolve_launch(launch: LaunchSpec, source: Path | None) -> tuple[LaunchSpec, str]:
    """The spec with its interpreter chosen (uvicorn/gunicorn), the server package checked, and a note."""
    if launch.mode == "attach":
        return launch, ""
    if launch.mode == "cmd":
        if launch.python:
            return (replace(launch, python_source="--python"),
                    f"--cmd runs with {Path(launch.python).parent} first on PATH")
        return launch, ""
    if launch.python:
        python, where = launch.python, "--python"
    elif source is not None:
        python, where = find_python(source)
    else:
        return launch, ""
    check_module(python, launch.server, env=launch.environ())
    if launch.server == "gunicorn":
        check_module(python, "uvicorn", env=launch.environ())
    return replace(launch, python=python, python_source=where), f"{launch.server} runs under {python} ({where})"


def deploy_info(launch: LaunchSpec, settings: PipelineSettings, analysis: Analysis) -> Deploy:
    """The command line for the recommended worker count, in the launch mode that was measured."""
    rec = analysis.recommendation
    workers = rec.workers if rec is not None else 1
    command = None
    if settings.target and launch.mode in ("uvicorn", "gunicorn"):
        app = parse_target(settings.target, settings.app_dir)
        command = deploy_command(launch, app.module, app.app_dir, workers)
    elif launch.mode == "cmd":
        command = deploy_command(launch, "", "", workers)
    hint = ""
    if launch.mode == "cmd" and workers > 1 and "{workers}" not in (launch.cmd or ""):
        hint = (f"the command has no {{workers}}: run {workers} worker processes your way, e.g. gunicorn -k "
                f"uvicorn.workers.UvicornWorker -w {workers}, and measure them with --workers 1,{workers}")
    return Deploy(launch.mode, command, workers, launch.python or "", launch.python_source, hint=hint,
                  preload=launch.preload)


def with_predictions(analysis: Analysis, attached: int, requested: tuple[int, ...], machine: Environment) -> Analysis:
    """Attach: the capacity table gains rows for other worker counts, predicted by the model only."""
    rec, cap = analysis.recommendation, analysis.recommendation.capacity if analysis.recommendation else None
    if not attached or rec is None or cap is None or not cap.cpu_s_per_request:
        return analysis
    measured = {r.workers for r in cap.rows}
    others = sorted({*requested, *range(1, machine.usable_workers + 1), rec.workers} - measured)
    rows = [*cap.rows, *(CapacityRow(w, predicted_max_rps(w, cap.cpu_s_per_request, analysis.environment.cores),
                                     None) for w in others)]
    cap = replace(cap, rows=tuple(sorted(rows, key=lambda r: r.workers)))
    note = (f"attached to a server running {attached} worker(s): only that count was measured; "
            f"{', '.join(map(str, others)) or 'no other count'} worker(s): predicted, not measured (capacity model)")
    deploy = replace(analysis.deploy, predicted_only=tuple(others)) if analysis.deploy else None
    return replace(analysis, recommendation=replace(rec, capacity=cap), notes=(note, *analysis.notes), deploy=deploy)
