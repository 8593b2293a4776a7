"""``workeradvisor compare``: the analyze pipeline focused on the seed's decision matrix.

Runs the ladder once per worker count (default 1,2,4, capped by the cores this process really
has) and applies the > 30% gain rule; the report's "Decision matrix" holds the side-by-side rows.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workeradvisor.commands.analyze import run
from workeradvisor.orchestrate.pipeline import DEFAULT_CCUS, DEFAULT_IDLE_S, DEFAULT_PROFILE_S, DEFAULT_WARMUP_S

COMPARE_STAGE_S = 4.0  # shorter stages than analyze: the ladder runs once per worker count (<= ~60 s for 1,2)


def compare(
    target: str = typer.Argument(..., help="The app: path/to/file.py:app or package.module:app."),
    workers: str = typer.Option("1,2,4", "--workers", help="Worker counts side by side (capped by real cores)."),
    app_dir: str = typer.Option(None, "--app-dir", help="Directory uvicorn imports TARGET from."),
    path: Annotated[list[str] | None, typer.Option("--path", help="Path to load, repeatable (default: the app's "
                                                   "simple GET routes).")] = None,
    requests: str = typer.Option(None, "--requests", help="YAML request spec instead of --path."),
    ccu: str = typer.Option(",".join(map(str, DEFAULT_CCUS)), "--ccu", help="CCU ladder, comma-separated."),
    target_rps: float = typer.Option(None, "--target-rps", help="Traffic to plan for (requests/s)."),
    target_ccu: int = typer.Option(None, "--target-ccu", help="Concurrent users to plan for."),
    p99_slo: float = typer.Option(1000.0, "--p99-slo", help="p99 latency target in ms."),
    threshold: Annotated[list[str] | None, typer.Option("--threshold", help="NAME=NUMBER, repeatable.")] = None,
    decision: str = typer.Option(None, "--decision", help="A decision YAML to overlay."),
    idle_seconds: float = typer.Option(DEFAULT_IDLE_S, "--idle-seconds", help="Idle profile window."),
    profile_seconds: float = typer.Option(DEFAULT_PROFILE_S, "--profile-seconds", help="1-CCU profiled run window."),
    stage_seconds: float = typer.Option(COMPARE_STAGE_S, "--stage-seconds", help="Measured seconds per CCU stage."),
    warmup: float = typer.Option(DEFAULT_WARMUP_S, "--warmup", help="Unmeasured seconds before each stage."),
    fmt: str = typer.Option("text", "--format", help="text | json | markdown"),
    output: str = typer.Option(None, "--output", help="Write the report to this file."),
) -> None:
    """Load test several worker counts side by side and apply the seed's > 30% gain rule."""
    run(target, app_dir=app_dir, path=path, requests=requests, ccu=ccu, workers=workers, target_rps=target_rps,
        target_ccu=target_ccu, p99_slo=p99_slo, threshold=threshold, decision=decision, downstream=None, cores=None,
        memory=None, no_refactor=False, idle_seconds=idle_seconds, profile_seconds=profile_seconds,
        stage_seconds=stage_seconds, warmup=warmup, fmt=fmt, output=output)
