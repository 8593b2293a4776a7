"""The main job: scan -> launch under uvicorn -> idle profile -> profiled run -> CCU ladder -> decision.

One server (1 worker) serves the idle profile, the 1-CCU profiled run and the 1-worker ladder;
every other worker count gets its own server. ``serve`` stops each server by PID on success,
failure and Ctrl-C. An interruption or a dead target keeps whatever finished: the decision is
made from it and the caller reports it (partial results are still results).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.merge import merge_profiles
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.decide.tree import DecisionTree
from workeradvisor.errors import EXIT_INTERRUPTED, TargetError, WorkerAdvisorError
from workeradvisor.hostnoise import HostNoiseSampler
from workeradvisor.launch import RunningServer, parse_target, serve
from workeradvisor.launchmodes import LaunchSpec
from workeradvisor.load import LoadInterrupted, build_plan, run_ladder
from workeradvisor.load.openapi import DEFAULT_METHODS
from workeradvisor.models.decision import Analysis, Environment
from workeradvisor.models.load import LoadResult, RequestPlan, RequestTemplate
from workeradvisor.models.profile import OperationProfile, ProfileResult
from workeradvisor.models.scan import ScanResult
from workeradvisor.models.verdict import HostNoise, TrialSeries
from workeradvisor.orchestrate.events import Events, QuietEvents
from workeradvisor.orchestrate.launching import deploy_info, label, resolve_launch, with_predictions
from workeradvisor.orchestrate.steps import (
    PROFILE_CCU,
    idle_summary,
    per_operation,
    run_summary,
    scan_step,
    use_traffic,
)
from workeradvisor.orchestrate.traffic import Traffic, openapi_traffic
from workeradvisor.orchestrate.trials import (
    DEFAULT_PAIRS,
    Trial,
    TrialSettings,
    run_worker_trials,
    trial_loads,
    trial_point,
    trial_series,
    worst_noise,
)
from workeradvisor.profile import profile_server

# Defaults sized so `analyze` finishes in <= 60 s on a 2-core machine, measured: ~2 s launch, ~6 s idle
# (2 s headline + two 1.5 s py-spy passes), ~8 s profiled run, 3 x (1 + 5) s ladder + generator start-up
# ~= 40 s (measured 44-50 s on a busy shared box); the README's mem0 run (`--workers 1,2 --ccu 10,30`) ~= 55 s.
# The ladder is the seed's 30/60/100 CCU scaled to a 2-core box that also runs the load generator; the
# low 10-CCU stage is the baseline the downstream-bound diagnosis compares latency growth against.
DEFAULT_CCUS = (10, 30, 60)
DEFAULT_IDLE_S = 2.0
DEFAULT_PROFILE_S = 3.0
DEFAULT_ATTRIBUTION_S = 1.5
DEFAULT_STAGE_S = 5.0
DEFAULT_WARMUP_S = 1.0

TRIAL_STAGE_S = 2.0  # each interleaved trial: short, so 3 pairs of 1 vs 2 workers take about one ladder's time
TRIAL_WARMUP_S = 0.5

STEPS = ("scan", "launch", "idle profile", "profiled run", "load ladder", "decision")


@dataclass(frozen=True)
class PipelineSettings:
    target: str | None  # None with --cmd / --url and no source to scan
    app_dir: str | None = None
    paths: tuple[str, ...] = ()
    spec_file: str | None = None
    ccus: tuple[int, ...] = DEFAULT_CCUS
    workers: tuple[int, ...] = (1,)
    idle_s: float = DEFAULT_IDLE_S
    profile_s: float = DEFAULT_PROFILE_S
    attribution_s: float = DEFAULT_ATTRIBUTION_S
    stage_s: float = DEFAULT_STAGE_S
    warmup_s: float = DEFAULT_WARMUP_S
    timeout_s: float = 10.0
    ready_timeout_s: float = 30.0
    options: DecideOptions = field(default_factory=DecideOptions)
    tree: DecisionTree | None = None
    downstream: str | None = None
    launch: LaunchSpec = field(default_factory=LaunchSpec)  # uvicorn | gunicorn | --cmd | attach, --python, --env
    openapi: str | None = None  # file or URL; None: the app's /openapi.json when it serves one
    access_log: str | None = None
    methods: tuple[str, ...] = DEFAULT_METHODS
    headers: tuple[tuple[str, str], ...] = ()
    pairs: int = DEFAULT_PAIRS  # interleaved trial rounds when several worker counts are compared
    trial_stage_s: float = TRIAL_STAGE_S


@dataclass
class PipelineState:
    """What has finished so far; filled step by step so an interruption loses nothing finished."""

    scan: ScanResult | None = None
    profiles: list[ProfileResult] = field(default_factory=list)
    loads: list[LoadResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    paths: tuple[str, ...] = ()
    traffic: tuple[RequestTemplate, ...] = ()  # from an OpenAPI document or access log
    operations: list[OperationProfile] = field(default_factory=list)
    routes_why: str = ""  # which GET routes the scan chose, said when no OpenAPI document replaces them
    interrupted_in: str = ""  # the step Ctrl-C stopped
    failure: WorkerAdvisorError | None = None  # e.g. the app died mid-run
    launch: LaunchSpec | None = None  # the resolved launch (interpreter found), for the deploy line
    attached_workers: int = 0  # attach: the running server's worker count (the only one measured)
    start_error: str | None = None  # the app never started: no verdict
    trials: TrialSeries | None = None
    noise: list[HostNoise] = field(default_factory=list)


@dataclass(frozen=True)
class PipelineOutcome:
    analysis: Analysis
    state: PipelineState
    elapsed_s: float

    @property
    def error(self) -> WorkerAdvisorError | None:
        """The error the command ends with after reporting (Ctrl-C -> exit 130)."""
        if self.state.interrupted_in:
            return WorkerAdvisorError(f"interrupted during the {self.state.interrupted_in}; the finished steps "
                                      f"({', '.join(self.state.finished) or 'none'}) were reported", EXIT_INTERRUPTED)
        return self.state.failure


def worker_counts(requested: tuple[int, ...], env: Environment) -> tuple[tuple[int, ...], str]:
    """Requested counts capped by the cores the process really has; a note when some were dropped."""
    wanted = sorted(set(requested))
    usable = env.usable_workers
    kept = [w for w in wanted if w <= usable]
    dropped = [w for w in wanted if w > usable]
    if not dropped:
        return tuple(kept), ""
    if usable not in kept:
        kept.append(usable)
    note = (f"capped: {', '.join(map(str, dropped))} worker(s) not measured; the process has {env.cores:g} cores "
            f"({env.cores_source}), so at most {usable} worker(s) run in parallel")
    return tuple(sorted(kept)), note


def _profile(pid: int, settings: PipelineSettings, state: PipelineState, *, idle: bool,
             plan: RequestPlan | None = None) -> None:
    result = profile_server(pid, duration_s=settings.idle_s if idle else settings.profile_s, idle=idle, plan=plan,
                            scan=state.scan, ccu=PROFILE_CCU, attribution_s=settings.attribution_s,
                            target=settings.target or label(settings.launch), timeout_s=settings.timeout_s)
    if result.attribution_error_code == EXIT_INTERRUPTED:
        state.profiles.append(result)  # the headline numbers stand
        raise KeyboardInterrupt
    if result.attribution_error:
        state.notes.append(f"{'idle profile' if idle else 'profiled run'}: {result.attribution_error}; the headline "
                           "figures stand, code sites from py-spy are missing")
    state.profiles.append(result)


def _ladder(pid: int, base_url: str, workers: int, settings: PipelineSettings, state: PipelineState,
            events: Events) -> None:
    plan = _plan(base_url, settings, state)
    sampler = HostNoiseSampler().start()
    try:
        result = run_ladder(plan, settings.ccus, stage_seconds=settings.stage_s, warmup_s=settings.warmup_s,
                            timeout_s=settings.timeout_s, server_pid=pid, progress=events.stage, workers=workers)
    except LoadInterrupted as exc:
        if isinstance(exc.result, LoadResult) and exc.result.stages:
            state.loads.append(exc.result)
        raise
    finally:
        noise = sampler.stop()
        if noise is not None:
            state.noise.append(noise)
    state.loads.append(result)
    events.done("load ladder", f"{workers} worker(s): " + ", ".join(
        f"{s.ccu} CCU {s.rps:,.0f} RPS p99 {'-' if s.latency_ms.p99 is None else f'{s.latency_ms.p99:,.0f}'} ms"
        for s in result.stages))


def _trials(counts: tuple[int, ...], running: dict[int, RunningServer], settings: PipelineSettings,
            state: PipelineState, events: Events, launch: LaunchSpec | None = None) -> None:
    """Interleaved trials of every count at the base ladder's highest trusted CCU (``orchestrate.trials``)."""
    base = state.loads[-1] if state.loads else None
    ccu, seconds = trial_point(base, settings.ccus, settings.stage_s, settings.trial_stage_s)
    events.step("load ladder", f"{settings.pairs} interleaved round(s) of {', '.join(map(str, counts))} workers at "
                f"{ccu} CCU, {seconds:g} s each")

    def on_trial(t: Trial) -> None:
        tail = t.stage.latency_ms.p99
        events.note(f"round {t.round + 1}: {t.workers} worker(s) {t.stage.rps:,.1f} RPS p99 "
                    + ("-" if tail is None else f"{tail:,.0f}") + " ms"
                    + ("" if t.usable else " (unusable: errors or client-bound)"))

    trial = TrialSettings(ccu, settings.pairs, seconds, TRIAL_WARMUP_S, settings.timeout_s, settings.ready_timeout_s)
    trials = run_worker_trials(settings.target, settings.app_dir, counts,
                               lambda url: _plan(url, settings, state), trial, running=running, on_trial=on_trial,
                               launch=launch)
    state.trials = trial_series(trials, ccu)
    state.loads.extend(trial_loads(trials, base.target if base else settings.target or ""))
    state.noise.extend(n for n in (worst_noise(trials),) if n is not None)


def _plan(base_url: str, settings: PipelineSettings, state: PipelineState) -> RequestPlan:
    remote = settings.launch.allow_remote
    if state.traffic:
        return build_plan(base_url, requests=state.traffic, allow_remote=remote)
    if settings.spec_file:
        return build_plan(base_url, spec_file=settings.spec_file, allow_remote=remote)
    return build_plan(base_url, paths=state.paths, allow_remote=remote)


def _run_steps(settings: PipelineSettings, machine: Environment, state: PipelineState, events: Events) -> None:
    app = parse_target(settings.target, settings.app_dir) if settings.target else None
    if settings.spec_file or settings.paths:  # a bad spec or path fails now, not after launch and profiling
        build_plan("http://127.0.0.1:1", spec_file=settings.spec_file, paths=settings.paths or ("/",))
    counts, capped = worker_counts(settings.workers, machine)
    if capped and settings.launch.mode != "attach":
        state.notes.append(capped)
        events.note(capped)
    launch, why = resolve_launch(settings.launch, app.source if app else None)  # exit 3 when the server is missing
    state.launch = launch
    if why:
        state.notes.append(why)
        events.note(why)
    scan_step(app.source if app else None, settings, state, events)
    events.step("launch", f"{label(launch)}" + ("" if launch.mode == "attach" else ", 1 worker"))
    first = 1  # one worker serves the idle profile and the profiled run (one loop to read)
    with serve(settings.target, app_dir=settings.app_dir, workers=first, launch=launch,
               ready_timeout_s=settings.ready_timeout_s) as server:
        state.finished.append("launch")
        events.done("launch", f"pid {server.pid} on {server.base_url}, workers {server.worker_pids()}")
        if not (settings.spec_file or settings.paths or settings.access_log):
            found = openapi_traffic(server.base_url, settings.openapi, settings.methods, dict(settings.headers))
            if found is not None:
                state.paths = ()
                use_traffic(found, state, events)
            elif state.routes_why:
                use_traffic(Traffic((), (state.routes_why,)), state, events)
        events.step("idle profile", f"{settings.idle_s:g} s with no traffic")
        _profile(server.pid, settings, state, idle=True)
        state.finished.append("idle profile")
        events.done("idle profile", idle_summary(state.profiles[-1]))
        events.step("profiled run", f"{PROFILE_CCU} CCU for {settings.profile_s:g} s")
        _profile(server.pid, settings, state, idle=False, plan=_plan(server.base_url, settings, state))
        per_operation(server.pid, server.base_url, settings, state, events)
        state.finished.append("profiled run")
        events.done("profiled run", run_summary(state.profiles[-1]))
        if launch.mode == "attach":
            state.attached_workers = server.workers
            counts = (server.workers,)
        if first in counts:  # the seed's load-test rules read the fewest workers' ladder; the others: trials
            _ladder_step(server, first, settings, state, events)
            if len(counts) > 1:
                _trials(counts, {first: server}, settings, state, events, launch)
    if first not in counts:
        with serve(settings.target, app_dir=settings.app_dir, workers=counts[0], launch=launch,
                   ready_timeout_s=settings.ready_timeout_s) as server:
            _ladder_step(server, counts[0], settings, state, events)
            if len(counts) > 1:
                _trials(counts, {counts[0]: server}, settings, state, events, launch)
    state.finished.append("load ladder")


def _ladder_step(server: RunningServer, workers: int, settings: PipelineSettings, state: PipelineState,
                 events: Events) -> None:
    events.step("load ladder", f"{workers} worker(s), CCU {','.join(map(str, settings.ccus))}")
    _ladder(server.pid, server.base_url, workers, settings, state, events)


def run_pipeline(settings: PipelineSettings, env: Environment, events: Events | None = None,
                 machine: Environment | None = None) -> PipelineOutcome:
    """Run every step; on Ctrl-C or a failing target, decide from what finished.

    ``env`` is what the decision plans for (``--cores``/``--memory`` may describe the production
    box); ``machine`` is this one, whose real cores cap the worker counts load tested here."""
    events = events or QuietEvents()
    state = PipelineState()
    start = time.monotonic()
    try:
        _run_steps(settings, machine or env, state, events)
    except KeyboardInterrupt:
        state.interrupted_in = next((s for s in STEPS if s not in state.finished), "decision")
        state.notes.append(f"interrupted during the {state.interrupted_in}: only finished steps are reported")
    except TargetError as exc:
        if not state.finished:
            raise
        state.failure = exc
        if "launch" not in state.finished:
            state.start_error = str(exc)
        else:
            state.notes.append(f"stopped early: {exc}")
    events.step("decision", "decision tree, capacity model")
    profile = merge_profiles(state.profiles)
    noise = max(state.noise, key=lambda n: (n.other_cpu_percent, n.steal_percent), default=None)
    analysis = analyze_results(state.scan, profile, tuple(state.loads), env, settings.options, settings.tree,
                               settings.downstream, start_error=state.start_error, trials=state.trials, noise=noise,
                               operations=tuple(state.operations))
    elapsed = time.monotonic() - start
    notes = [*state.notes, f"analyze ran for {elapsed:.0f} s"]
    if state.paths:
        notes.insert(0, f"loaded paths: {', '.join(state.paths)}")
    analysis = replace(analysis, notes=tuple(notes), operations=tuple(state.operations))
    if state.launch is not None:
        analysis = with_predictions(replace(analysis, deploy=deploy_info(state.launch, settings, analysis)),
                                    state.attached_workers, settings.workers, machine or env)
    state.finished.append("decision")
    rec, missing = analysis.recommendation, analysis.no_verdict
    events.done("decision", rec.verdict if rec else f"no verdict: {missing.reason if missing else ''}")
    return PipelineOutcome(analysis, state, elapsed)
