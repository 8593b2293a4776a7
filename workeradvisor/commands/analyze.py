"""``workeradvisor analyze``: the main job. Measure an app under real uvicorn and say what to run.

Steps (see ``workeradvisor/orchestrate/pipeline.py``): scan, launch, idle profile, 1-CCU profiled
run, CCU ladder (once per ``--workers`` count), decision. Progress goes to stderr, the report to
stdout or ``--output``. Ctrl-C reports the finished steps and exits 130.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.check.pools import code_pools
from workeradvisor.commands.options import (
    AllowRemoteOpt,
    AttachPidOpt,
    CmdOpt,
    CoresOpt,
    DecisionFlags,
    DecisionOpt,
    DownstreamOpt,
    EnvFileOpt,
    EnvOpt,
    FormatOpt,
    LaunchFlags,
    MemoryOpt,
    NoRefactorOpt,
    OutputOpt,
    P99SloOpt,
    PreloadOpt,
    PythonOpt,
    ServerOpt,
    TargetCcuOpt,
    TargetRpsOpt,
    ThresholdOpt,
    UrlOpt,
)
from workeradvisor.commands.progress import PipelineView
from workeradvisor.decide.fleet import with_fleet
from workeradvisor.decide.tree import load_decision_tree
from workeradvisor.environment import detect_environment
from workeradvisor.errors import TargetError, UsageError
from workeradvisor.load.openapi import DEFAULT_METHODS
from workeradvisor.models.decision import Analysis
from workeradvisor.orchestrate import PipelineSettings, run_pipeline
from workeradvisor.orchestrate.pipeline import (
    DEFAULT_CCUS,
    DEFAULT_IDLE_S,
    DEFAULT_PROFILE_S,
    DEFAULT_STAGE_S,
    DEFAULT_WARMUP_S,
)
from workeradvisor.orchestrate.trials import DEFAULT_PAIRS
from workeradvisor.report.formats import ANALYSIS_FORMATS
from workeradvisor.report.output import choose, write_report

FORMATS = tuple(ANALYSIS_FORMATS)
DEFAULT_CCU_TEXT = ",".join(map(str, DEFAULT_CCUS))
DEFAULT_METHODS_TEXT = ",".join(DEFAULT_METHODS)


def int_list(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated integers like 1,2,4") from None
    if not values or any(v < 1 for v in values):
        raise UsageError(f"{flag} values must be positive integers")
    return values


def emit(analysis: Analysis, fmt: str, output: str | None) -> None:
    """The report through the one format table and the one writer (analyze, compare and advise).
    With ``--target-rps`` the report carries the fleet plan (decide/fleet.py)."""
    analysis = with_fleet(analysis, load_decision_tree(None).thresholds)
    write_report(choose(ANALYSIS_FORMATS, fmt)(analysis), output)


@dataclass(frozen=True)
class MeasureFlags:
    """What the live pipeline measures (analyze and compare; advise reads saved results instead)."""

    app_dir: str | None = None
    path: tuple[str, ...] = ()
    requests: str | None = None
    ccu: str = DEFAULT_CCU_TEXT
    workers: str = "1"
    idle_seconds: float = DEFAULT_IDLE_S
    profile_seconds: float = DEFAULT_PROFILE_S
    stage_seconds: float = DEFAULT_STAGE_S
    warmup: float = DEFAULT_WARMUP_S
    openapi: str | None = None
    access_log: str | None = None
    methods: str = DEFAULT_METHODS_TEXT
    header: tuple[str, ...] = ()
    pairs: int = DEFAULT_PAIRS  # interleaved trial rounds when several worker counts are compared
    timeout: float = 10.0  # seconds before a request counts as a timeout (profiled runs, stages, trials)

    def validate(self) -> None:
        given = [f for f, v in (("--path", self.path), ("--requests", self.requests),
                                ("--access-log", self.access_log), ("--openapi", self.openapi)) if v]
        if len(given) > 1:
            raise UsageError(f"give one of {', '.join(given)}, not several")
        if self.access_log and not Path(self.access_log).is_file():
            raise UsageError(f"--access-log {self.access_log}: no such file")
        self.method_list()
        self.header_pairs()
        if self.requests and not Path(self.requests).is_file():
            raise UsageError(f"--requests {self.requests}: no such file")
        if min(self.idle_seconds, self.profile_seconds, self.stage_seconds) <= 0 or self.warmup < 0:
            raise UsageError("window lengths must be > 0 seconds (warm-up >= 0)")
        int_list(self.ccu, "--ccu")
        int_list(self.workers, "--workers")
        if self.timeout <= 0:
            raise UsageError("--timeout must be > 0 seconds")
        if self.pairs < 2:
            raise UsageError("--pairs must be >= 2 (an interval needs at least two pairs of trials)")


    def method_list(self) -> tuple[str, ...]:
        methods = tuple(m.strip().upper() for m in self.methods.split(",") if m.strip())
        bad = [m for m in methods if m not in ("GET", "POST", "PUT", "PATCH", "DELETE")]
        if not methods or bad:
            raise UsageError(f"--methods {self.methods!r}: expected some of GET,POST,PUT,PATCH,DELETE")
        return methods

    def header_pairs(self) -> tuple[tuple[str, str], ...]:
        pairs = []
        for h in self.header:
            name, sep, value = h.partition(":")
            if not sep or not name.strip():
                raise UsageError(f"--header {h!r}: expected 'Name: value'")
            pairs.append((name.strip(), value.strip()))
        return tuple(pairs)


def run(target: str | None, measure: MeasureFlags, flags: DecisionFlags, launch: LaunchFlags | None = None) -> None:
    """Shared by ``analyze`` and ``compare``: validate everything (``--output`` included) before
    launching anything, run the pipeline, report, then raise any error."""
    flags.validate()
    measure.validate()
    spec = (launch or LaunchFlags()).spec(target, int_list(measure.workers, "--workers"))
    settings = PipelineSettings(
        launch=spec,
        target=target, app_dir=measure.app_dir, paths=measure.path, spec_file=measure.requests,
        ccus=int_list(measure.ccu, "--ccu"), workers=int_list(measure.workers, "--workers"),
        idle_s=measure.idle_seconds, profile_s=measure.profile_seconds, stage_s=measure.stage_seconds,
        warmup_s=measure.warmup, options=flags.options(), tree=flags.tree(), downstream=flags.downstream,
        openapi=measure.openapi, access_log=measure.access_log, methods=measure.method_list(),
        headers=measure.header_pairs(),
        pairs=measure.pairs, timeout_s=measure.timeout,
    )
    view = PipelineView()
    try:
        machine = detect_environment()
        outcome = run_pipeline(settings, flags.environment(machine), view, machine)
    finally:
        view.close()
    env = dict(e.split("=", 1) for e in (launch.env if launch else ()) if "=" in e)
    analysis = dataclasses.replace(outcome.analysis, pools=code_pools(target, measure.app_dir, env))
    emit(analysis, flags.fmt, flags.output)
    if outcome.error is not None:
        raise outcome.error
    if analysis.no_verdict is not None:  # no verdict without evidence: exit 3, the reason on stderr
        raise TargetError(f"no verdict: {analysis.no_verdict.reason}")


AppDirOpt = Annotated[str | None, typer.Option("--app-dir", help="Directory uvicorn imports TARGET from.")]
PathOpt = Annotated[list[str] | None, typer.Option("--path", help="Path to load, repeatable (default: the app's "
                                                   "simple GET routes, found by the scan).")]
RequestsOpt = Annotated[str | None, typer.Option(
    "--requests", help="YAML request spec (see docs/load.md) instead of --path.")]
CcuOpt = Annotated[str, typer.Option("--ccu", help="CCU ladder, comma-separated.")]
IdleOpt = Annotated[float, typer.Option("--idle-seconds", help="Idle profile window.")]
ProfileOpt = Annotated[float, typer.Option("--profile-seconds", help="1-CCU profiled run window.")]
StageOpt = Annotated[float, typer.Option("--stage-seconds", help="Measured seconds per CCU stage.")]
WarmupOpt = Annotated[float, typer.Option("--warmup", help="Unmeasured seconds before each stage.")]
PairsOpt = Annotated[int, typer.Option("--pairs", help="Interleaved trial rounds (A B, B A ...) when several worker "
                                       "counts are compared; the gain's interval narrows with more.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds before a request counts as a timeout "
                                           "(profiled runs, load stages and trials).")]
OpenapiOpt = Annotated[str | None, typer.Option(
    "--openapi", metavar="FILE|URL", help="OpenAPI document to build the request mix from (default: the app's "
    "/openapi.json when it serves one; else the scan's simple GET routes).")]
AccessLogOpt = Annotated[str | None, typer.Option(
    "--access-log", metavar="FILE",
    help="Replay the mix of a uvicorn, nginx/Apache combined or JSON-lines access log.")]
MethodsOpt = Annotated[str, typer.Option(
    "--methods", help="Operations of the OpenAPI document to load (DELETE only when named).")]
HeaderOpt = Annotated[list[str] | None, typer.Option(
    "--header", metavar="'NAME: VALUE'", help="Header sent with every request, e.g. for auth. Repeatable.")]
TargetArg = Annotated[str | None, typer.Argument(help="The app: path/to/file.py:app or package.module:app "
                                              "(optional with --cmd or --url: then it is only scanned).")]


def analyze(
    target: TargetArg = None,
    app_dir: AppDirOpt = None,
    path: PathOpt = None,
    requests: RequestsOpt = None,
    ccu: CcuOpt = DEFAULT_CCU_TEXT,
    workers: Annotated[str, typer.Option("--workers", help="Worker counts to load test side by side, e.g. 1,2,4 "
                                         "(capped by the cores this process really has).")] = "1",
    target_rps: TargetRpsOpt = None,
    target_ccu: TargetCcuOpt = None,
    p99_slo: P99SloOpt = 1000.0,
    threshold: ThresholdOpt = None,
    decision: DecisionOpt = None,
    downstream: DownstreamOpt = None,
    cores: CoresOpt = None,
    memory: MemoryOpt = None,
    no_refactor: NoRefactorOpt = False,
    idle_seconds: IdleOpt = DEFAULT_IDLE_S,
    profile_seconds: ProfileOpt = DEFAULT_PROFILE_S,
    stage_seconds: StageOpt = DEFAULT_STAGE_S,
    warmup: WarmupOpt = DEFAULT_WARMUP_S,
    pairs: PairsOpt = DEFAULT_PAIRS,
    timeout: TimeoutOpt = 10.0,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
    python: PythonOpt = None,
    server: ServerOpt = "uvicorn",
    preload: PreloadOpt = False,
    cmd: CmdOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    url: UrlOpt = None,
    pid: AttachPidOpt = None,
    allow_remote: AllowRemoteOpt = False,
    openapi: OpenapiOpt = None,
    access_log: AccessLogOpt = None,
    methods: MethodsOpt = DEFAULT_METHODS_TEXT,
    header: HeaderOpt = None,
) -> None:
    """Measure the app (uvicorn, gunicorn, your --cmd, or a running server with --url) and recommend a
    worker count, with the evidence."""
    measure = MeasureFlags(app_dir, tuple(path or ()), requests, ccu, workers, idle_seconds, profile_seconds,
                           stage_seconds, warmup, openapi, access_log, methods, tuple(header or ()), pairs,
                           timeout)
    flags = DecisionFlags(target_rps, target_ccu, p99_slo, tuple(threshold or ()), decision, downstream, cores,
                          memory, no_refactor, fmt, output)
    run(target, measure, flags, LaunchFlags(python, server, cmd, tuple(env or ()), env_file, url, pid, allow_remote,
                                            preload))
