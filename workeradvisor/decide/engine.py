"""The decision: metrics -> tree walk -> capacity model -> actions, verdict and confidence.

Pure: it reads results, never the machine. ``commands`` gather the inputs (live or from saved
JSON) and ``report`` renders the ``Analysis``.
"""

from __future__ import annotations

from dataclasses import replace

from workeradvisor.decide.actions import ActionContext
from workeradvisor.decide.borderline import (
    BORDERLINE_COST,
    borderline_measurements,
    classification_intervals,
    mark_borderline_steps,
)
from workeradvisor.decide.capacity import build_capacity, choose_workers
from workeradvisor.decide.evidence import no_verdict, partial_evidence
from workeradvisor.decide.metrics import DecideOptions, extract_metrics, primary_load
from workeradvisor.decide.operations import DEFAULT_SHARE, apply_dominance, dominant_operation
from workeradvisor.decide.stages import compare_rows, load_workers, trusted_stages
from workeradvisor.decide.stickiness import sticky_deductions
from workeradvisor.decide.tree import DecisionTree, load_decision_tree, walk
from workeradvisor.decide.verdict_inputs import ceiling_of, gain_metrics, gain_tests_of, interval_metrics
from workeradvisor.errors import ConfigError
from workeradvisor.hostnoise import noise_deduction
from workeradvisor.models.actions import action_kind
from workeradvisor.models.decision import Action, Analysis, Environment, Recommendation
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import OperationProfile, ProfileResult
from workeradvisor.models.scan import ScanResult
from workeradvisor.models.verdict import GainTest, HostNoise, TrialSeries


def confidence(
    scan: ScanResult | None, profile: ProfileResult | None, loads: tuple[LoadResult, ...], host_idle_min: float,
    noise: HostNoise | None = None, gain_tests: tuple[GainTest, ...] = (), borderline: tuple[str, ...] = (),
) -> tuple[float, tuple[str, ...]]:
    """Start at 1 and subtract for every gap in the evidence, saying why. ``host_idle_min`` is the
    tree's threshold below which the host counts as starved."""
    score, why = 1.0, []

    def lose(amount: float, reason: str) -> None:
        nonlocal score
        score -= amount
        why.append(reason)

    if scan is None:
        lose(0.05, "no scan: blocking calls are only seen if the profile caught them")
    if profile is None:
        lose(0.3, "no profile: the workload type (CPU vs waiting) was not measured")
    else:
        if profile.per_request is None:
            lose(0.15, "the profile has no per-request figures (request CPU ratio unknown)")
        if profile.idle is None:
            lose(0.05, "no idle profile: idle CPU not measured")
        if profile.partial:
            lose(0.1, "the profile is partial (the target died or was interrupted)")
    if not loads:
        lose(0.25, "no load test: the seed's load-test rules could not be applied")
    for load in loads:
        bound = sum(1 for s in load.stages if s.generator_bound)
        if bound:
            lose(min(0.3, 0.1 * bound) / len(loads), f"{bound} of {len(load.stages)} stage(s) of the "
                 f"{load_workers(load)}-worker load run were generator-bound (the client, not the server)")
        if load.stages and all(s.server is None for s in load.stages):
            lose(0.1, f"the {load.source} load result has no server CPU/RSS")
        if load.interrupted or any(s.partial for s in load.stages):
            lose(0.05, "a load run was interrupted")
    primary = primary_load(loads)
    peak = trusted_stages(primary)[-1] if primary is not None and primary.stages else None
    if peak is not None and peak.server is not None and peak.host_cpu_idle_percent < host_idle_min:
        lose(0.1, f"the host had {peak.host_cpu_idle_percent:.0f}% idle CPU at the peak stage: other processes "
                  "competed with the server, so its CPU readings understate its demand")
    if primary is not None and sum(1 for s in primary.stages if not s.generator_bound and not s.partial) < 2:
        lose(0.1, "fewer than two trusted load stages: no trend across CCU")
    for amount, reason in [*partial_evidence(profile, loads), *sticky_deductions(loads)]:
        lose(amount, reason)
    noisy = noise_deduction(noise)
    if noisy is not None:
        lose(*noisy)
    for test in gain_tests:
        if test.outcome == "inconclusive":
            lose(0.1, f"the worker comparison is inconclusive: {test.reason}")
    if not gain_tests and len({load_workers(x) for x in loads}) > 1:
        lose(0.1, "one run per worker count: the gain rule read single numbers, noise included (no interval)")
    for sentence in borderline:
        lose(BORDERLINE_COST, f"borderline: {sentence}")
    return max(0.05, round(score, 2)), tuple(why)


def _verdict(workers: int, acts: list[Action]) -> str:
    first = [a.kind for a in acts if a.first]
    also = [a.kind for a in acts if not a.first and a.kind not in ("keep", "scale-workers")]
    run = f"Run {workers} uvicorn worker{'s' if workers != 1 else ''}"
    text = f"{run}, after: {', '.join(first)}" if first else run
    return f"{text}; also {', '.join(also)}" if also else text


def _build(kind: str, ctx: ActionContext) -> Action | None:
    """The registered builder for ``kind``, with the table's do-first rule applied; None when the builder
    has nothing it may name (an offload with no project code to point at)."""
    spec = action_kind(kind)
    if spec is None or spec.builder is None:
        raise ConfigError(f"action kind {kind!r} has no builder (register it in the action-kind table)")
    action: Action | None = spec.builder(ctx)
    return replace(action, first=spec.is_first(ctx.flags)) if action is not None else None


def _order(action: Action) -> tuple[bool, int]:
    spec = action_kind(action.kind)
    return (not action.first, spec.order if spec is not None else 1_000)


def _thread_pool_notes(scan: ScanResult | None, metrics: dict[str, float | None], tokens: float) -> list[str]:
    """Say how the sync endpoints fit anyio's limiter even when it does not saturate."""
    notes = []
    sync, demand = metrics.get("sync_endpoints"), metrics.get("thread_demand")
    if sync and demand is not None and demand <= tokens:
        notes.append(f"thread pool: the sync endpoints need ~{demand:.0f} threads at {metrics.get('target_ccu'):.0f} "
                     f"CCU, within anyio's {tokens:.0f}")
    if scan is not None and any("set_default_executor" in f.symbol for f in scan.findings):
        notes.append("loop.set_default_executor(...) does not size the pool sync endpoints use (anyio's limiter)")
    return notes


def decide(
    scan: ScanResult | None,
    profile: ProfileResult | None,
    loads: tuple[LoadResult, ...],
    env: Environment,
    options: DecideOptions | None = None,
    tree: DecisionTree | None = None,
    downstream: str | None = None,
    trials: TrialSeries | None = None,
    noise: HostNoise | None = None,
    operations: tuple[OperationProfile, ...] = (),
) -> Recommendation:
    options = options or DecideOptions()
    tree = tree or load_decision_tree()
    metrics = extract_metrics(scan, profile, loads, env, options)
    dominant = dominant_operation(operations, tree.thresholds.get("dominant_operation_share", DEFAULT_SHARE),
                                  metrics.get("request_cpu_ratio"))
    apply_dominance(metrics, dominant)
    tests = gain_tests_of(trials, tree.thresholds["scale_gain_min"])
    intervals = classification_intervals(profile)
    if dominant is not None:  # that interval is the whole mix's; the tree now reads one operation's ratio
        intervals.pop("request_cpu_ratio", None)
    metrics.update(gain_metrics(trials, tests))
    metrics.update(interval_metrics(metrics, intervals))
    result = walk(tree, metrics)
    flags = result.env
    cap = build_capacity(profile, loads, env, options, tree.thresholds["memory_headroom"])
    emitted = [k for k in result.actions if (spec := action_kind(k)) is not None and spec.from_tree]
    fix_first = bool(flags.get("fix_first")) or any(
        spec.first is True for k in emitted if (spec := action_kind(k)) is not None)
    choice = choose_workers(result.workers_range, cap, env, fix_first)
    ctx = ActionContext(scan, profile, metrics, flags, tree.thresholds, env, cap, choice, downstream, loads)
    extra = ["keep"] + (["scale-out"] if choice.replicas_needed and choice.replicas_needed > 1 else [])
    acts = [a for kind in [*emitted, *extra] if (a := _build(kind, ctx)) is not None]  # keep: or scale-workers
    acts.sort(key=_order)
    notes = [dominant.sentence()] if dominant is not None else []
    notes += list(choice.notes) + _thread_pool_notes(scan, metrics, tree.thresholds["anyio_thread_tokens"])
    if "offload-process-pool" in emitted and not any(a.kind == "offload-process-pool" for a in acts):
        notes.append("CPU-bound, but the hot CPU is in the server or framework, not in a function of this project "
                     "or a library it calls: no offload target to name")
    ceiling = ceiling_of(loads, cap, env)
    if ceiling is not None:
        notes.append(f"capacity: {ceiling.sentence}")
    borderline = borderline_measurements(intervals, result.path, tree.thresholds, tree)
    notes += [f"borderline: {b}" for b in borderline]
    score, reasons = confidence(scan, profile, loads, tree.thresholds["host_idle_min"], noise, tests, borderline)
    return Recommendation(
        workers=choice.workers,
        workers_range=choice.workers_range,
        actions=tuple(acts),
        path=mark_borderline_steps(result.path, intervals, tree.thresholds, tree),
        confidence=score,
        verdict=_verdict(choice.workers, acts),
        confidence_reasons=reasons,
        capacity=cap.rounded(),
        notes=tuple(notes),
        metrics=tuple((k, round(v, 6) if v is not None else None) for k, v in metrics.items()),
        compare=compare_rows(loads, tree.thresholds["scale_gain_min"]),
        thresholds=tuple(sorted(tree.thresholds.items())),
        gain_tests=tests,
        host_noise=noise,
        ceiling=ceiling,
    )


def analyze_results(
    scan: ScanResult | None,
    profile: ProfileResult | None,
    loads: tuple[LoadResult, ...],
    env: Environment,
    options: DecideOptions | None = None,
    tree: DecisionTree | None = None,
    downstream: str | None = None,
    *,
    start_error: str | None = None,
    trials: TrialSeries | None = None,
    noise: HostNoise | None = None,
    operations: tuple[OperationProfile, ...] = (),
) -> Analysis:
    """The whole ``Analysis`` for reports: inputs plus the recommendation, or, when the evidence
    cannot carry one (``decide.evidence.no_verdict``), no recommendation and the reason."""
    missing = no_verdict(loads, start_error=start_error)
    if missing is not None:
        return Analysis(scan=scan, profile=profile, load=tuple(loads), environment=env, recommendation=None,
                        no_verdict=missing)
    rec = decide(scan, profile, loads, env, options, tree, downstream, trials, noise, operations)
    return Analysis(scan=scan, profile=profile, load=tuple(loads), environment=env, recommendation=rec)
