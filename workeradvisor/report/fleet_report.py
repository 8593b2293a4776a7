"""The fleet plan as text, Markdown and JSON: the answer first, then the arithmetic, then the caveats.

Used on its own by ``workeradvisor plan`` and as a section of the analysis reports when
``analyze --target-rps`` is given, so the two always read the same.
"""

from __future__ import annotations

import json

from workeradvisor.models.fleet import POSTGRES_DEFAULT_MAX_CONNECTIONS, REDIS_DEFAULT_MAX_CLIENTS, DbPool, FleetPlan

MIB = 1 << 20


def headline(plan: FleetPlan) -> str:
    if not plan.fits:
        return f"no plan: one worker does not fit a pod of {_pod_text(plan)}"
    return (f"{plan.replicas} replicas x {plan.workers_per_pod} worker(s) per pod for {plan.target_rps:g} RPS "
            f"({plan.pod_rps:.1f} RPS per pod); HPA {plan.hpa_min}-{plan.hpa_max} replicas at "
            f"{plan.hpa_cpu_target}% CPU")


def _pod_text(plan: FleetPlan) -> str:
    mem = f", {plan.pod.memory_bytes / MIB:.0f} MiB" if plan.pod.memory_bytes else ""
    req = f" (request {plan.pod.cpu_request:g})" if plan.pod.cpu_request and plan.pod.cpu_request != plan.pod.cores \
        else ""
    return f"{plan.pod.cores:g} CPU{req}{mem} ({plan.pod.source})"


def _input_rows(plan: FleetPlan) -> list[tuple[str, str, str]]:
    i = plan.inputs
    mem = f"{i.per_worker_memory_bytes / MIB:.1f} MiB" if i.per_worker_memory_bytes else "not measured"
    measured = f"{i.measured_rps_per_worker:.1f} RPS" if i.measured_rps_per_worker is not None else "not measured"
    ratio = f"{i.request_cpu_ratio:.0%}" if i.request_cpu_ratio is not None else "not measured"
    return [
        ("pod", _pod_text(plan), ""),
        ("loop CPU per request", f"{i.cpu_s_per_request * 1000:.2f} ms", i.cpu_source),
        ("RPS per worker within p99", measured, i.measured_source),
        ("request CPU ratio", ratio, plan.workload),
        ("memory per worker", mem, i.memory_source),
        ("idle CPU per worker", f"{i.idle_cores_per_worker * 100:.0f}%", "100% = one core"),
    ]


def render_text(plan: FleetPlan) -> str:
    lines = ["Fleet plan", f"  {headline(plan)}", "", "  measured:"]
    lines += [f"    {k}: {v}" + (f" ({src})" if src else "") for k, v, src in _input_rows(plan)]
    lines += ["", "  arithmetic:"] + [f"    {k}: {v}" for k, v in plan.steps]
    if plan.notes:
        lines += ["", "  notes:"] + [f"    - {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"


def render_markdown(plan: FleetPlan, level: int = 2) -> str:
    h = "#" * level
    out = [f"{h} Fleet plan", "", f"> **{headline(plan)}**", ""]
    if plan.fits:
        out += ["| workers per pod | replicas | RPS per pod | HPA min | HPA max | HPA CPU target |",
                "|---|---|---|---|---|---|",
                f"| {plan.workers_per_pod} | {plan.replicas} | {plan.pod_rps:.1f} | {plan.hpa_min} | {plan.hpa_max} "
                f"| {plan.hpa_cpu_target}% |", ""]
    out += ["| measured | value | source |", "|---|---|---|"]
    out += [f"| {k} | {v} | {src} |" for k, v, src in _input_rows(plan)]
    out += ["", "| figure | arithmetic |", "|---|---|"] + [f"| {k} | {v} |" for k, v in plan.steps]
    if plan.notes:
        out += [""] + [f"- {n}" for n in plan.notes]
    if plan.fits:
        out += ["", "```yaml", *_hpa_yaml(plan), "```"]
    return "\n".join(out) + "\n"


def _hpa_yaml(plan: FleetPlan) -> list[str]:
    """The HorizontalPodAutoscaler spec the plan implies (autoscaling/v2)."""
    return ["# HorizontalPodAutoscaler spec (autoscaling/v2)", "spec:", f"  minReplicas: {plan.hpa_min}",
            f"  maxReplicas: {plan.hpa_max}", "  metrics:", "    - type: Resource", "      resource:",
            "        name: cpu", "        target:", "          type: Utilization",
            f"          averageUtilization: {plan.hpa_cpu_target}"]


def render_json(plan: FleetPlan) -> str:
    return json.dumps({"schema": "workeradvisor.fleet/1", **plan.to_dict()}, indent=2) + "\n"


FLEET_FORMATS = {"text": render_text, "markdown": render_markdown, "json": render_json}


def _pool_rows(pools: tuple[DbPool, ...], workers: int) -> list[tuple[str, str, str, str]]:
    """(pool, site, per worker, x workers) per pool, then the total per database against its default limit."""
    rows = [(f"{p.library} ({p.detail})", f"{p.path}:{p.line}", str(p.per_worker) if p.per_worker is not None
             else "unbounded/unknown", f"{p.per_worker * workers}" if p.per_worker is not None else "?")
            for p in pools]
    for database, limit, flag in (("sql", POSTGRES_DEFAULT_MAX_CONNECTIONS, "--db-max-connections"),
                                  ("redis", REDIS_DEFAULT_MAX_CLIENTS, "--redis-max-clients")):
        sized = [p.per_worker for p in pools if p.database == database and p.per_worker is not None]
        if sized:
            total = sum(sized) * workers
            verdict = "over" if total > limit else "within"
            rows.append((f"total {database}", "", str(sum(sized)),
                         f"{total} ({verdict} the default limit {limit}; `check {flag}` for yours)"))
    return rows


def pools_markdown(pools: tuple[DbPool, ...], workers: int) -> str:
    out = ["## Database pools", "", f"Each of the {workers} recommended worker(s) builds these pools; replicas "
           "multiply them again (`workeradvisor check` adds replicas and the HPA's maximum).", "",
           f"| pool | site | max per worker | x {workers} worker(s) |", "|---|---|---|---|"]
    out += [f"| {a} | `{b}` | {c} | {d} |" if b else f"| **{a}** | | {c} | {d} |" for a, b, c, d in
            _pool_rows(pools, workers)]
    return "\n".join(out) + "\n"


def pools_text(pools: tuple[DbPool, ...], workers: int) -> str:
    lines = [f"Database pools (x {workers} worker(s); replicas multiply again: see `workeradvisor check`)"]
    lines += [f"  {a}" + (f" at {b}" if b else "") + f": {c} per worker, x {workers} = {d}" for a, b, c, d in
              _pool_rows(pools, workers)]
    return "\n".join(lines) + "\n"


def analysis_sections_markdown(pools: tuple[DbPool, ...], plan: FleetPlan | None, workers: int) -> list[str]:
    """The analysis report's Database pools and Fleet plan sections (none when neither applies)."""
    return ([pools_markdown(pools, workers)] if pools else []) + ([render_markdown(plan)] if plan else [])


def analysis_sections_text(pools: tuple[DbPool, ...], plan: FleetPlan | None, workers: int) -> list[str]:
    return ([pools_text(pools, workers)] if pools else []) + ([render_text(plan)] if plan else [])
