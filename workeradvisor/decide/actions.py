"""Turn the action kinds the tree emitted into actions with evidence, code sites and fixes.

Every builder takes one ``ActionContext`` and is registered in the action-kind table
(``models/actions.py``); the engine calls whatever builder the tree's kinds name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from workeradvisor.decide.capacity import Capacity, WorkerChoice, thread_tokens
from workeradvisor.decide.hotcode import HotCode, hot_code, in_project, plain_function, project_files_of
from workeradvisor.decide.metrics import (
    BLOCKING_PREFIX,
    BLOCKING_SEVERITIES,
    PROFILE_SITE_MIN_SHARE,
    material_blocking_sites,
)
from workeradvisor.decide.threads import limit_native_threads
from workeradvisor.models.actions import action_kind, register_action_kind
from workeradvisor.models.decision import Action, CodeSite, Environment
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult, stack_text
from workeradvisor.models.scan import Finding, ScanResult

Metrics = Mapping[str, float | None]
MIN_SITE_SHARE = PROFILE_SITE_MIN_SHARE  # profile call sites below this share of loop samples are noise


@dataclass(frozen=True)
class ActionContext:
    """Everything a builder may read: the results, the metrics and the tree's numbers."""

    scan: ScanResult | None
    profile: ProfileResult | None
    metrics: Metrics
    flags: Mapping[str, float | None]  # metrics + thresholds + the tree's definitions
    thresholds: Mapping[str, float]
    env: Environment
    capacity: Capacity
    choice: WorkerChoice
    downstream: str | None = None
    loads: tuple[LoadResult, ...] = ()  # the load tests (limit-native-threads reads their per-thread figures)


BuilderFn = Callable[["ActionContext"], "Action | None"]  # None: nothing nameable to act on (no action)


def builds(kind: str) -> Callable[[BuilderFn], BuilderFn]:
    """Attach a builder to a kind of the table (``models/actions.py``)."""
    def attach(fn: BuilderFn) -> BuilderFn:
        spec = action_kind(kind)
        if spec is None:
            raise KeyError(f"action kind {kind!r} is not in the table (models/actions.py)")
        register_action_kind(replace(spec, builder=fn))
        return fn
    return attach


def _num(value: float | None, digits: int = 3) -> float | None:
    return round(value, digits) if value is not None else None


def _ev(metrics: Metrics, *names: str) -> tuple[tuple[str, float | None], ...]:
    return tuple((n, _num(metrics.get(n))) for n in names if metrics.get(n) is not None)


def _findings(scan: ScanResult | None, pred) -> list[Finding]:  # a small predicate
    return [f for f in scan.findings if pred(f)] if scan else []


def project_site(path: str, share: float, top: bool) -> bool:
    """Sites worth naming: in the user's code (not site-packages or the stdlib) and material."""
    third_party = "site-packages" in path or "/lib/python" in path or path.startswith("<")
    return not third_party and (top or share >= MIN_SITE_SHARE)


def _finding_site(f: Finding) -> CodeSite:
    via = f" via {f.chain_text}" if f.chain else ""
    return CodeSite(f.path, f.line, f.function, f"{f.symbol}{via}: {f.fix}", "scan")


def fix_idle_cpu(profile: ProfileResult | None, scan: ScanResult | None, metrics: Metrics,
                 first: bool = False) -> Action:
    idle = profile.idle if profile else None
    culprits = sorted(idle.culprits, key=lambda t: -t.cpu_percent) if idle else []
    sites: list[CodeSite] = []
    for stack in idle.culprit_stacks if idle else ():
        if stack:  # the innermost app frame is the site; the whole stack is the detail
            inner = stack[0]
            sites.append(CodeSite(inner.path, inner.line, inner.function,
                                  f"hottest stack at idle: {stack_text(stack)}", "profile"))
    sites += [_finding_site(f) for f in _findings(scan, lambda f: f.category == "import-time-thread")]
    named = ", ".join(f"thread `{t.name}` {t.cpu_percent:.0f}% CPU" for t in culprits[:3]) or "background work"
    top = (("thread", culprits[0].name),) if culprits else ()
    evidence = _ev(metrics, "idle_cpu_percent", "idle_culprit_cpu_percent") + top + tuple(
        (f"thread {t.name} cpu_percent", round(t.cpu_percent, 1)) for t in culprits[:3]
    )
    fix = (
        "Stop the background thread or make it cheap: disable the telemetry client (most read an env flag), "
        "lengthen its interval, or move it out of the request process. Measure idle CPU again afterwards: "
        "workers multiply this cost (seed: 2 workers doubled idle CPU)."
    )
    return Action("fix-idle-cpu", f"Remove idle CPU: {named} with no traffic", evidence, tuple(sites), fix, first)


def fix_blocking(profile: ProfileResult | None, scan: ScanResult | None, metrics: Metrics) -> Action:
    found = _findings(scan, lambda f: f.category.startswith(BLOCKING_PREFIX) and f.severity in BLOCKING_SEVERITIES)
    sites = [_finding_site(f) for f in found]
    scan_keys = {(f.path, f.line) for f in found}
    for c in material_blocking_sites(profile):  # noise and run-queue wait are not sites to fix
        if not project_site(c.path, c.share, False):
            continue
        detail = f"{c.share:.0%} of loop samples blocked here"
        if (c.path, c.line) in scan_keys:
            sites = [CodeSite(s.path, s.line, s.function, f"{s.detail} ({detail})", "scan+profile")
                     if (s.path, s.line) == (c.path, c.line) else s for s in sites]
        else:
            sites.append(CodeSite(c.path, c.line, c.function, detail, "profile"))
    fix = (
        "Replace each call with its async equivalent (httpx.AsyncClient, asyncpg, redis.asyncio, "
        "asyncio.sleep, aiofiles) or wrap it: `await asyncio.to_thread(fn, *args)`. A blocked loop "
        "stalls every request in that worker; more workers only hide it."
    )
    title = f"Fix {len(sites)} blocking call site(s) on the event loop before any scaling"
    return Action("fix-blocking", title, _ev(metrics, "blocking_sites", "blocked_share"), tuple(sites), fix, True)


def _hot_code(profile: ProfileResult | None, scan: ScanResult | None) -> HotCode | None:
    """The profile's hottest nameable CPU code; else the scan's first cpu-heavy call (a static guess)."""
    hot = hot_code(profile.top_cpu if profile else (), scan, project_files_of(scan))
    if hot is not None:
        return hot
    for f in _findings(scan, lambda f: f.category == "cpu-heavy"):
        func = plain_function(f.function)
        if func and in_project(f.path, None):
            return HotCode("library", func, f.path, f.line, 0.0, f.symbol.split(".")[0], f.symbol)
    return None


def offload(profile: ProfileResult | None, scan: ScanResult | None, metrics: Metrics, usable: int) -> Action | None:
    """Offload names project code only (``decide.hotcode``); with nothing nameable there is no action."""
    hot = _hot_code(profile, scan)
    if hot is None:
        return None
    files = project_files_of(scan)
    sites: list[CodeSite] = [
        CodeSite(c.path, c.line, c.function, f"{c.share:.0%} of loop samples on CPU here", "profile")
        for c in (profile.top_cpu[:3] if profile else ())
        if c.share >= MIN_SITE_SHARE and plain_function(c.function) and in_project(c.path, files)
    ]
    sites += [_finding_site(f) for f in _findings(scan, lambda f: f.category == "cpu-heavy")]
    if hot.kind == "library" and not any((s.path, s.line) == (hot.path, hot.line) for s in sites):
        sites.insert(0, CodeSite(hot.path, hot.line, hot.function, f"calls {hot.library}, where the CPU goes",
                                 "profile" if hot.share else "scan"))
    func = hot.callable_name or "the_function_that_calls_it"
    where = f"  # at {hot.path}:{hot.line}"
    snippet = (
        "```python\n"
        "import asyncio\n"
        "from concurrent.futures import ProcessPoolExecutor\n\n"
        f"cpu_pool = ProcessPoolExecutor(max_workers={usable})  # once, at startup (lifespan)\n\n"
        f"# in the handler, instead of calling {func}(...) on the event loop:{where}\n"
        f"result = await asyncio.get_running_loop().run_in_executor(cpu_pool, {func}, *args)\n"
        "```\n"
        f"The function and its arguments must be picklable (a module-level function). With the offload, "
        f"1 uvicorn worker plus max_workers={usable} processes uses all {usable} core(s); without it, run "
        f"{usable} workers."
    )
    evidence = _ev(metrics, "request_cpu_ratio", "cpu_s_per_request", "load_cpu_per_worker")
    if hot.kind == "project":
        title = f"Offload `{func}` to a ProcessPoolExecutor (max_workers={usable})"
    else:
        caller = f" (in `{hot.function}`)" if hot.function else ""
        title = (f"Offload to a ProcessPoolExecutor (max_workers={usable}): {hot.phrase()}{caller}")
    return Action("offload-process-pool", title, evidence, tuple(sites), snippet)


def raise_thread_limit(scan: ScanResult | None, metrics: Metrics, tokens_now: float) -> Action:
    tokens = thread_tokens(metrics.get("thread_demand"), tokens_now) or int(tokens_now)
    sites = [_finding_site(f) for f in _findings(scan, lambda f: f.category == "sync-endpoint")]
    misuse = _findings(scan, lambda f: "set_default_executor" in f.symbol)
    sites += [_finding_site(f) for f in misuse]
    fix = (
        "```python\n"
        "from contextlib import asynccontextmanager\n"
        "import anyio.to_thread\n\n"
        "@asynccontextmanager\n"
        "async def lifespan(app):\n"
        f"    anyio.to_thread.current_default_thread_limiter().total_tokens = {tokens}\n"
        "    yield\n"
        "```\n"
        "Sync `def` endpoints and sync dependencies all share anyio's limiter "
        f"({int(tokens_now)} threads by default). `loop.set_default_executor(...)` does NOT change it"
        + (" (this code calls it; see the sites)." if misuse else ".")
        + " Better still, make the hot endpoints `async def` with async clients."
    )
    evidence = _ev(metrics, "sync_endpoints", "sync_endpoint_share", "target_ccu", "thread_demand") + (
        ("anyio_thread_tokens", tokens_now),
        ("total_tokens_to_set", tokens),
    )
    title = f"Raise anyio's thread limit to {tokens}: sync endpoints need ~{metrics.get('thread_demand'):.0f} threads"
    return Action("raise-thread-limit", title, evidence, tuple(sites), fix)


def downstream_bound(metrics: Metrics, downstream: str | None) -> Action:
    who = f"`{downstream}`" if downstream else "the service the handlers await"
    fix = (
        f"More workers will not help: the bottleneck is {who}. Scale or tune it (batch size, replicas, "
        "connection keep-alive, client-side batching; seed 004), and keep 1 worker here."
    )
    evidence = _ev(metrics, "latency_growth", "rps_scaling", "load_cpu_per_worker", "io_ratio", "peak_ccu")
    return Action("downstream-bound", f"Downstream-bound: {who} limits throughput", evidence, (), fix)


def workers_action(choice: WorkerChoice, capacity: Capacity, metrics: Metrics, gain_min: float) -> Action:
    evidence = _ev(metrics, "request_cpu_ratio", "load_cpu_per_worker", "p99_ms", "peak_rps", "cores") + (
        ("workers_range", f"{choice.workers_range[0]}-{choice.workers_range[1]}"),
    )
    if capacity.workers_needed is not None:
        evidence += (("workers_needed_for_target_rps", capacity.workers_needed),)
    # No command line here: the app, the server (uvicorn, gunicorn, --cmd) and its flags are the launch's;
    # the report's deploy line has them.
    if choice.workers <= 1:
        fix = "One worker: one async event loop serves this load; more workers add idle CPU and memory."
        return Action("keep", "Run 1 uvicorn worker", evidence, (), fix)
    fix = (f"{choice.workers} workers. Scale only if a side-by-side load test (`workeradvisor compare`) shows "
           f"> {gain_min:.0%} gain.")
    return Action("scale-workers", f"Run {choice.workers} uvicorn workers", evidence, (), fix)


def scale_out(choice: WorkerChoice, capacity: Capacity, usable: int) -> Action:
    evidence: tuple[tuple[str, float | int | str | None], ...] = (
        ("workers_needed", capacity.workers_needed),
        ("usable_workers", usable),
        ("replicas", choice.replicas_needed),
    )
    fix = (
        f"Run {choice.replicas_needed} replicas of {usable} worker(s) behind a load balancer (least-connections), "
        "each with its own CPU allowance, rather than more workers than cores (seeds 003/004)."
    )
    return Action("scale-out", f"Scale out to {choice.replicas_needed} replicas", evidence, (), fix)


# --- the builders, registered under their kinds (the order and do-first rule live in the table) ---


@builds("fix-idle-cpu")
def _build_fix_idle_cpu(ctx: ActionContext) -> Action:
    return fix_idle_cpu(ctx.profile, ctx.scan, ctx.metrics)


@builds("fix-blocking")
def _build_fix_blocking(ctx: ActionContext) -> Action:
    return fix_blocking(ctx.profile, ctx.scan, ctx.metrics)


@builds("offload-process-pool")
def _build_offload(ctx: ActionContext) -> Action | None:
    return offload(ctx.profile, ctx.scan, ctx.metrics, ctx.env.usable_workers)


@builds("raise-thread-limit")
def _build_raise_thread_limit(ctx: ActionContext) -> Action:
    return raise_thread_limit(ctx.scan, ctx.metrics, ctx.thresholds["anyio_thread_tokens"])


@builds("downstream-bound")
def _build_downstream_bound(ctx: ActionContext) -> Action:
    return downstream_bound(ctx.metrics, ctx.downstream)


@builds("keep")
@builds("scale-workers")
def _build_workers(ctx: ActionContext) -> Action:
    return workers_action(ctx.choice, ctx.capacity, ctx.metrics, ctx.thresholds["scale_gain_min"])


@builds("scale-out")
def _build_scale_out(ctx: ActionContext) -> Action:
    return scale_out(ctx.choice, ctx.capacity, ctx.env.usable_workers)


@builds("limit-native-threads")
def _build_limit_native_threads(ctx: ActionContext) -> Action | None:
    return limit_native_threads(ctx.metrics, ctx.loads)
