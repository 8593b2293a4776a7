"""``workeradvisor compare``: the analyze pipeline focused on the seed's decision matrix.

Runs the ladder for the fewest workers, then interleaved trials of every count (default 1,2,4,
capped by the cores this process really has: A B, B A ... `--pairs` rounds at one CCU) and applies
the scale_gain_min rule to the interval of the paired gain: scale, keep or inconclusive.
The decision flags are analyze's own (``commands/options.py``), so the two cannot drift.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workeradvisor.commands.analyze import (
    DEFAULT_CCU_TEXT,
    DEFAULT_METHODS_TEXT,
    AccessLogOpt,
    AppDirOpt,
    CcuOpt,
    HeaderOpt,
    IdleOpt,
    MeasureFlags,
    MethodsOpt,
    OpenapiOpt,
    PairsOpt,
    PathOpt,
    ProfileOpt,
    RequestsOpt,
    StageOpt,
    TargetArg,
    TimeoutOpt,
    WarmupOpt,
    run,
)
from workeradvisor.commands.options import (
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
)
from workeradvisor.orchestrate.pipeline import DEFAULT_IDLE_S, DEFAULT_PROFILE_S, DEFAULT_WARMUP_S
from workeradvisor.orchestrate.trials import DEFAULT_PAIRS

COMPARE_STAGE_S = 4.0  # shorter stages than analyze: the fewest workers' ladder, then interleaved trials


def compare(
    target: TargetArg = None,
    workers: Annotated[str, typer.Option("--workers", help="Worker counts side by side (capped by real cores).")
                       ] = "1,2,4",
    app_dir: AppDirOpt = None,
    path: PathOpt = None,
    requests: RequestsOpt = None,
    ccu: CcuOpt = DEFAULT_CCU_TEXT,
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
    stage_seconds: StageOpt = COMPARE_STAGE_S,
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
    openapi: OpenapiOpt = None,
    access_log: AccessLogOpt = None,
    methods: MethodsOpt = DEFAULT_METHODS_TEXT,
    header: HeaderOpt = None,
) -> None:
    """Load test several worker counts side by side and apply the seed's gain rule (scale_gain_min)."""
    measure = MeasureFlags(app_dir, tuple(path or ()), requests, ccu, workers, idle_seconds, profile_seconds,
                           stage_seconds, warmup, openapi, access_log, methods, tuple(header or ()), pairs,
                           timeout)
    flags = DecisionFlags(target_rps, target_ccu, p99_slo, tuple(threshold or ()), decision, downstream, cores,
                          memory, no_refactor, fmt, output)
    run(target, measure, flags, LaunchFlags(python, server, cmd, tuple(env or ()), env_file, preload=preload))
