"""Shared wording and number formatting for the analysis reports (text and markdown)."""

from __future__ import annotations

from workeradvisor.models.decision import Analysis, CompareRow, Environment
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import loop_cpu_shares
from workeradvisor.report.load_text import operation_cells, operations_stage, stage_label

# (metric, label) in the order the evidence section shows them; unmeasured ones are skipped.
EVIDENCE: tuple[tuple[str, str], ...] = (
    ("request_cpu_ratio", "request time on the event-loop CPU"),
    ("io_ratio", "request time awaiting I/O"),
    ("cpu_s_per_request", "loop CPU per request"),
    ("blocked_share", "loop samples blocked in app code"),
    ("blocking_sites", "blocking call sites"),
    ("idle_cpu_percent", "server CPU with no traffic"),
    ("idle_culprit_cpu_percent", "hottest thread at idle"),
    ("async_ratio", "async endpoints"),
    ("sync_endpoints", "sync endpoints (anyio thread pool)"),
    ("peak_ccu", "highest trusted CCU"),
    ("peak_rps", "RPS there"),
    ("p99_ms", "p99 there"),
    ("load_cpu_per_worker", "CPU per worker there"),
    ("load_cpu_demand_per_worker", "that CPU plus the loop's wait for a core"),
    ("error_rate", "errors there"),
    ("latency_growth", "p50 growth across the ladder"),
    ("rps_scaling", "RPS growth / CCU growth"),
    ("generator_bound_stages", "generator-bound stages"),
    ("mix_request_cpu_ratio", "request CPU ratio of the whole mix"),
    ("dominant_operation_loop_share", "loop CPU of the dominant operation"),
    ("scale_rps_gain", "RPS gain of more workers"),
    ("busy_threads", "busy worker threads under load (all workers)"),
    ("thread_runqueue_fraction", "their time waiting for a core"),
)

_RATIOS = {"request_cpu_ratio", "io_ratio", "blocked_share", "async_ratio", "error_rate", "scale_rps_gain",
           "sync_endpoint_share", "blocked_share_max", "mixed_low_cpu", "mixed_high_cpu", "scale_gain_min",
           "error_rate_max", "blocked_share_low", "scale_gain_low", "scale_gain_high",
           "thread_runqueue_fraction", "thread_runqueue_min"}
_PERCENTS = {"idle_cpu_percent", "idle_culprit_cpu_percent", "load_cpu_per_worker", "load_cpu_ok",
             "load_cpu_demand_per_worker",
             "load_cpu_hot", "load_cpu_maxed", "idle_cpu_overhead", "idle_thread_material", "downstream_cpu_max",
             "host_idle_percent", "host_idle_min", "idle_cpu_low"}
_BOOLEAN_HINT = {"has_scan", "has_profile", "has_load", "has_compare", "latency_ok", "refactor_possible",
                 "blocking", "idle_overhead", "fix_first", "thread_saturated", "downstream_bound", "host_starved",
                 "threads_oversubscribed"}


def fmt_value(name: str, value: object) -> str:
    """A metric value the way a reader expects it: ratios as %, CPU as % of a core, ms, seconds."""
    if value is None:
        return "n/a"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    v = float(value)
    if name in _RATIOS or name.endswith("_ratio") or name.endswith("_share"):
        return f"{v:.0%}" if abs(v) >= 0.1 else f"{v:.1%}"
    if name in _PERCENTS:
        return f"{v:.0f}%"
    if name.endswith("_ms"):
        return f"{v:,.0f} ms"
    if name == "cpu_s_per_request":
        return f"{v * 1000:.2f} ms"
    if name in _BOOLEAN_HINT:
        return "yes" if v else "no"
    if name.endswith("_growth") or name == "rps_scaling":
        return f"{v:.2f}x"
    return f"{v:,.0f}" if v == int(v) or abs(v) >= 100 else f"{v:.3g}"


def evidence_rows(analysis: Analysis) -> list[tuple[str, str, str]]:
    """(label, value, metric name) for every measured evidence metric."""
    m = dict(analysis.recommendation.metrics) if analysis.recommendation else {}
    return [(label, fmt_value(name, m[name]), name) for name, label in EVIDENCE if m.get(name) is not None]


def environment_line(env: Environment) -> str:
    mem = env.memory_bytes / (1 << 30)
    return (f"{env.cores:g} cores ({env.cores_source}), at most {env.usable_workers} worker(s); "
            f"{mem:.1f} GiB memory ({env.memory_source})")


def values_text(values: tuple[tuple[str, object], ...]) -> str:
    return ", ".join(f"{k}={fmt_value(k, v)}" for k, v in values) or "-"


def workers_of(load: LoadResult) -> int:
    """Server workers of a run (``LoadResult.server_workers``, the one definition)."""
    return load.server_workers


def compare_cells(row: CompareRow, gain_min: float | None) -> list[str]:
    """One decision-matrix row; ``gain_min`` is the tree's scale_gain_min in force."""
    rule = f"the {gain_min:.0%} rule" if gain_min is not None else "the gain rule"
    gain = "-" if row.gain is None else f"{row.gain:+.0%} ({'passes' if row.passes else 'fails'} {rule})"
    return [
        str(row.workers),
        f"{row.rps:,.1f}",
        f"{row.p99_ms:,.0f} ms" if row.p99_ms is not None else "-",
        f"{row.cpu_percent:.0f}%" if row.cpu_percent is not None else "n/a",
        memory_cell(row),
        gain,
    ]


def memory_cell(row: CompareRow) -> str:
    """The server's true memory (PSS summed) with RSS alongside; RSS alone when PSS was not read."""
    rss = f"{row.memory_bytes / (1 << 20):,.0f} MiB" if row.memory_bytes else "n/a"
    if row.memory_pss_bytes:
        return f"{row.memory_pss_bytes / (1 << 20):,.0f} MiB PSS (RSS {rss})"
    return rss


NOT_MEASURED = "predicted, not measured"  # attach: no restarts, other counts come from the capacity model
COMPARE_HEADERS = ["workers", "RPS", "p99", "CPU %", "memory", "gain vs fewest"]


OPERATION_HEADERS = ("operation", "weight", "loop CPU / request", "latency (1 CCU)", "CPU ratio", "share of loop CPU")


def operation_rows(analysis: Analysis) -> list[list[str]]:
    """The per-operation breakdown, heaviest share of the loop's CPU first."""
    shares = loop_cpu_shares(analysis.operations)
    ops = sorted(analysis.operations, key=lambda o: -shares[o.name])
    return [[o.name, f"{o.weight:.0%}", f"{o.loop_cpu_s_per_request * 1000:.1f} ms", f"{o.mean_latency_ms:.1f} ms",
             f"{o.request_cpu_ratio:.2f}" if o.request_cpu_ratio is not None else "-", f"{shares[o.name]:.0%}"]
            for o in ops]


def heaviest_operation(analysis: Analysis) -> str | None:
    """e.g. "POST /quotes: 8.1 ms loop CPU per request — 78% of the loop's CPU at the mix's weights"."""
    if len(analysis.operations) < 2:
        return None
    shares = loop_cpu_shares(analysis.operations)
    top = max(analysis.operations, key=lambda o: shares[o.name])
    return (f"{top.name}: {top.loop_cpu_s_per_request * 1000:.1f} ms loop CPU per request — "
            f"{shares[top.name]:.0%} of the loop's CPU at the mix's weights")


LOAD_OPERATION_HEADERS = ["operation", "requests", "RPS", "p50 ms", "p99 ms", "2xx/3xx", "failures"]


def load_operation_table(analysis: Analysis) -> tuple[str, list[list[str]]] | None:
    """(title, rows) of the per-operation figures under load: the fewest-workers run's top stage (the
    stage the load rules read), when its mix had several operations; None otherwise."""
    runs = sorted((x for x in analysis.load if any(s.operations for s in x.stages)), key=workers_of)
    if not runs:
        return None
    top = operations_stage(runs[0])
    if top is None or len(top.operations) < 2:
        return None
    title = f"Per operation under load ({stage_label(top)}, {workers_of(runs[0])} worker(s))"
    return title, [[str(c) for c in operation_cells(o)] for o in top.operations]
