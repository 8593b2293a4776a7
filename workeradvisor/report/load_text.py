"""A rich table per load run: one row per stage, untrustworthy stages marked, the knee underneath."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from workeradvisor.models.load import LoadResult, StageResult


def stage_label(s: StageResult) -> str:
    if s.kind == "rate" and s.rate is not None:
        return f"rate {s.rate:g}/s"
    return f"ccu {s.ccu}" if s.ccu is not None else "-"


def error_text(s: StageResult) -> str:
    e = s.errors
    if not e.total:
        return "0"
    parts = [f"{n} {k}" for k, n in (("connect", e.connect), ("timeout", e.timeout), ("4xx", e.http_4xx),
                                      ("5xx", e.http_5xx), ("read", e.read)) if n]
    return f"{e.total} ({', '.join(parts)})"


def trust_text(s: StageResult) -> str:
    flags = []
    if s.generator_bound:
        flags.append("GENERATOR-BOUND")
    if s.partial:
        flags.append("partial")
    if s.stopped_reason:
        flags.append(f"stop: {s.stopped_reason}")
    return ", ".join(flags) or "ok"


def ms_cell(value: float | None) -> str:
    """A latency cell: ``-`` when the tool did not report it (unknown is not 0.0)."""
    return "-" if value is None else f"{value:.1f}"


def _mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


def build_table(result: LoadResult) -> Table:
    table = Table(title=f"Load: {result.target or 'imported results'} ({result.source})", title_justify="left")
    for col in ("stage", "RPS", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors",
                "server CPU%", "server RSS MiB", "gen CPU%", "host idle%", "trust"):
        table.add_column(col, justify="left" if col in ("stage", "errors", "trust") else "right")
    for s in result.stages:
        lat = s.latency_ms
        server = s.server
        table.add_row(
            stage_label(s), f"{s.rps:,.0f}", ms_cell(lat.p50), ms_cell(lat.p90), ms_cell(lat.p99),
            ms_cell(lat.p999), f"{lat.max:.1f}", error_text(s),
            f"{server.total_cpu_percent:.0f}" if server else "-", _mib(server.total_rss_bytes) if server else "-",
            f"{s.generator_cpu_percent:.0f}" if result.source == "workeradvisor" else "-",
            f"{s.host_cpu_idle_percent:.0f}" if result.source == "workeradvisor" else "-",
            trust_text(s),
            style="red" if s.generator_bound else None,
        )
    return table


def summary_lines(result: LoadResult) -> list[str]:
    lines = []
    if result.knee_first_saturated_ccu is not None:
        healthy = result.knee_last_healthy_ccu
        lines.append(f"Knee: last healthy ccu {healthy if healthy is not None else 'none'}, "
                     f"first saturated ccu {result.knee_first_saturated_ccu}")
    for s in result.stages:
        if s.generator_bound:
            lines.append(f"{stage_label(s)} is untrustworthy (generator-bound: {s.generator_bound_reason})")
        if s.server:
            per = ", ".join(f"{p.role} {p.pid}: {p.cpu_percent:.0f}% CPU, {_mib(p.rss_bytes)} MiB"
                            for p in s.server.processes)
            lines.append(f"{stage_label(s)} server: {per}")
    lines.extend(result.notes)
    if result.interrupted:
        lines.append("Interrupted: finished stages and the partial one are shown.")
    return lines


def render(result: LoadResult, console: Console | None = None) -> str:
    """The terminal report as a string (plain text at 160 columns unless a console is given)."""
    console = console or Console(width=160, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(build_table(result))
        for line in summary_lines(result):
            console.print(line, highlight=False, markup=False)
    return cap.get()
