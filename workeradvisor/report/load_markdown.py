"""Markdown for a load run: the stage table plus mermaid charts of p99 and RPS against CCU."""

from __future__ import annotations

from workeradvisor.models.load import LoadResult
from workeradvisor.report.load_text import (
    error_text,
    ms_cell,
    operation_cells,
    operations_stage,
    operations_title,
    stage_label,
    summary_lines,
    trust_text,
)
from workeradvisor.report.mermaid import xychart


def operations_markdown(result: LoadResult) -> list[str]:
    """The per-operation table of the top stage (none for a single-operation mix), then a blank line."""
    top = operations_stage(result)
    if top is None or len(top.operations) < 2:
        return []
    out = [f"**{operations_title(top)}**", "", "| operation | requests | RPS | p50 ms | p99 ms | 2xx/3xx | failures |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for o in top.operations:
        cells = [str(c).replace("|", "\\|") for c in operation_cells(o)]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def render(result: LoadResult) -> str:
    out = [f"# Load: {result.target}", "", f"Source: {result.source}", ""]
    out.append("| stage | RPS | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | server CPU% | gen CPU% "
               "| host idle% | trust |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for s in result.stages:
        lat = s.latency_ms
        server = f"{s.server.total_cpu_percent:.0f}" if s.server else "-"
        own = result.source == "workeradvisor"
        out.append(f"| {stage_label(s)} | {s.rps:,.0f} | {ms_cell(lat.p50)} | {ms_cell(lat.p90)} "
                   f"| {ms_cell(lat.p99)} | {ms_cell(lat.p999)} | {lat.max:.1f} | {error_text(s)} | {server} "
                   f"| {f'{s.generator_cpu_percent:.0f}' if own else '-'} "
                   f"| {f'{s.host_cpu_idle_percent:.0f}' if own else '-'} | {trust_text(s)} |")
    out.append("")
    out.extend(operations_markdown(result))
    for line in summary_lines(result):
        out.append(f"- {line}")
    ladder = [s for s in result.stages if s.kind == "ccu" and s.ccu is not None]
    if len(ladder) >= 2:
        xs = [s.ccu for s in ladder]
        p99 = [s.latency_ms.p99 for s in ladder]
        out.append("")
        if all(v is not None for v in p99):  # an import without p99 has no latency chart
            out.append(xychart("p99 latency vs CCU", "CCU", xs, "p99 ms", [("p99 ms", p99)]))
        out.append(xychart("Throughput vs CCU", "CCU", xs, "requests/s", [("RPS", [s.rps for s in ladder])]))
    return "\n".join(out).rstrip() + "\n"
