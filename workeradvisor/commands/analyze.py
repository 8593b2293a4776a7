"""``workeradvisor analyze``: the main job. Measure an app under real uvicorn and say what to run.

Steps (see ``workeradvisor/orchestrate/pipeline.py``): scan, launch, idle profile, 1-CCU profiled
run, CCU ladder (once per ``--workers`` count), decision. Progress goes to stderr, the report to
stdout or ``--output``. Ctrl-C reports the finished steps and exits 130.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.commands.progress import PipelineView
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.decide.tree import load_decision_tree, parse_threshold_args
from workeradvisor.environment import detect_environment, parse_memory
from workeradvisor.errors import UsageError
from workeradvisor.models.decision import Analysis
from workeradvisor.orchestrate import PipelineSettings, run_pipeline
from workeradvisor.orchestrate.pipeline import (
    DEFAULT_CCUS,
    DEFAULT_IDLE_S,
    DEFAULT_PROFILE_S,
    DEFAULT_STAGE_S,
    DEFAULT_WARMUP_S,
)
from workeradvisor.report import analysis_json, analysis_markdown, analysis_text
from workeradvisor.report.text_fit import text_console

FORMATS = ("text", "json", "markdown")


def int_list(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated integers like 1,2,4") from None
    if not values or any(v < 1 for v in values):
        raise UsageError(f"{flag} values must be positive integers")
    return values


def emit(analysis: Analysis, fmt: str, output: str | None) -> None:
    if fmt == "text":
        fh = open(output, "w", encoding="utf-8") if output else sys.stdout
        try:
            analysis_text.render(analysis, text_console(fh))
        finally:
            if output:
                fh.close()
        return
    text = analysis_json.render(analysis) if fmt == "json" else analysis_markdown.render(analysis)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)


def run(target: str, *, app_dir: str | None, path: list[str] | None, requests: str | None, ccu: str,
        workers: str, target_rps: float | None, target_ccu: int | None, p99_slo: float,
        threshold: list[str] | None, decision: str | None, downstream: str | None, cores: float | None,
        memory: str | None, no_refactor: bool, idle_seconds: float, profile_seconds: float, stage_seconds: float,
        warmup: float, fmt: str, output: str | None) -> None:
    """Shared by ``analyze`` and ``compare``: validate, run the pipeline, report, then raise any error."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    if path and requests:
        raise UsageError("give --path or --requests, not both")
    if requests and not Path(requests).is_file():
        raise UsageError(f"--requests {requests}: no such file")
    if target_rps is not None and target_rps <= 0:
        raise UsageError("--target-rps must be > 0")
    if target_ccu is not None and target_ccu < 1:
        raise UsageError("--target-ccu must be >= 1")
    if min(idle_seconds, profile_seconds, stage_seconds) <= 0 or warmup < 0:
        raise UsageError("window lengths must be > 0 seconds (warm-up >= 0)")
    mem = None
    if memory is not None:
        try:
            mem = parse_memory(memory)
        except ValueError:
            raise UsageError(f"--memory {memory!r}: expected a size like 2G, 512Mi or bytes") from None
    if cores is not None and cores <= 0:
        raise UsageError("--cores must be > 0")
    tree = load_decision_tree(Path(decision) if decision else None, parse_threshold_args(threshold or []))
    settings = PipelineSettings(
        target=target, app_dir=app_dir, paths=tuple(path or ()), spec_file=requests,
        ccus=int_list(ccu, "--ccu"), workers=int_list(workers, "--workers"), idle_s=idle_seconds,
        profile_s=profile_seconds, stage_s=stage_seconds, warmup_s=warmup,
        options=DecideOptions(target_rps=target_rps, target_ccu=target_ccu, p99_slo_ms=p99_slo,
                              refactor_possible=not no_refactor),
        tree=tree, downstream=downstream,
    )
    view = PipelineView()
    try:
        machine = detect_environment()
        env = detect_environment(cores=cores, memory=mem) if cores is not None or mem is not None else machine
        outcome = run_pipeline(settings, env, view, machine)
    finally:
        view.close()
    emit(outcome.analysis, fmt, output)
    if outcome.error is not None:
        raise outcome.error


def analyze(
    target: str = typer.Argument(..., help="The app: path/to/file.py:app or package.module:app."),
    app_dir: str = typer.Option(None, "--app-dir", help="Directory uvicorn imports TARGET from."),
    path: Annotated[list[str] | None, typer.Option("--path", help="Path to load, repeatable (default: the app's "
                                                   "simple GET routes, found by the scan).")] = None,
    requests: str = typer.Option(None, "--requests", help="YAML request spec (see docs/load.md) instead of --path."),
    ccu: str = typer.Option(",".join(map(str, DEFAULT_CCUS)), "--ccu", help="CCU ladder, comma-separated."),
    workers: str = typer.Option("1", "--workers", help="Worker counts to load test side by side, e.g. 1,2,4 "
                                "(capped by the cores this process really has)."),
    target_rps: float = typer.Option(None, "--target-rps", help="Traffic to plan for (requests/s)."),
    target_ccu: int = typer.Option(None, "--target-ccu", help="Concurrent users to plan for (thread pool sizing)."),
    p99_slo: float = typer.Option(1000.0, "--p99-slo", help="p99 latency target in ms (seed: 1 s)."),
    threshold: Annotated[list[str] | None, typer.Option(
        "--threshold", help="Override a decision threshold, NAME=NUMBER (see rules/decision.yaml). Repeatable.",
    )] = None,
    decision: str = typer.Option(None, "--decision", help="A decision YAML: thresholds to overlay, or a whole tree."),
    downstream: str = typer.Option(None, "--downstream", help="Name of the service the handlers await."),
    cores: float = typer.Option(None, "--cores", help="Plan for this many cores (default: detected; the ladder "
                                "itself is still capped by this machine's cores)."),
    memory: str = typer.Option(None, "--memory", help="Memory limit to plan for, e.g. 2G (default: detected)."),
    no_refactor: bool = typer.Option(False, "--no-refactor", help="The blocking code cannot be changed (seed: "
                                     "then 2-4 workers)."),
    idle_seconds: float = typer.Option(DEFAULT_IDLE_S, "--idle-seconds", help="Idle profile window."),
    profile_seconds: float = typer.Option(DEFAULT_PROFILE_S, "--profile-seconds", help="1-CCU profiled run window."),
    stage_seconds: float = typer.Option(DEFAULT_STAGE_S, "--stage-seconds", help="Measured seconds per CCU stage."),
    warmup: float = typer.Option(DEFAULT_WARMUP_S, "--warmup", help="Unmeasured seconds before each stage."),
    fmt: str = typer.Option("text", "--format", help="text | json | markdown"),
    output: str = typer.Option(None, "--output", help="Write the report to this file."),
) -> None:
    """Measure the app under real uvicorn and recommend a worker count, with the evidence."""
    run(target, app_dir=app_dir, path=path, requests=requests, ccu=ccu, workers=workers, target_rps=target_rps,
        target_ccu=target_ccu, p99_slo=p99_slo, threshold=threshold, decision=decision, downstream=downstream,
        cores=cores, memory=memory, no_refactor=no_refactor, idle_seconds=idle_seconds, profile_seconds=profile_seconds,
        stage_seconds=stage_seconds, warmup=warmup, fmt=fmt, output=output)
