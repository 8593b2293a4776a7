"""The terminal report: the verdict first, then the evidence, then the decision path with its numbers."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from workeradvisor.models.decision import Analysis
from workeradvisor.report.analysis_common import (
    COMPARE_HEADERS,
    OPERATION_HEADERS,
    compare_cells,
    environment_line,
    evidence_rows,
    fmt_value,
    heaviest_operation,
    operation_rows,
    values_text,
)


def _actions(analysis: Analysis, console: Console) -> None:
    for i, a in enumerate(analysis.recommendation.actions, 1):
        tag = " [bold red](first)[/]" if a.first else ""
        console.print(f"[bold]{i}. {a.kind}[/]{tag}: {a.title}")
        if a.evidence:
            console.print("   evidence: " + values_text(a.evidence), highlight=False)
        for s in a.sites[:8]:
            func = f" in {s.function}" if s.function else ""
            console.print(f"   [cyan]{s.path}:{s.line}[/]{func}: {s.detail}", highlight=False)
        if len(a.sites) > 8:
            console.print(f"   ... and {len(a.sites) - 8} more site(s)")
        if a.fix:
            console.print(Markdown(a.fix), width=min(console.width, 110))


def _path_table(analysis: Analysis) -> Table:
    t = Table(title="Decision path (rules/decision.yaml)", title_justify="left")
    for col in ("node", "branch taken", "because", "workers"):
        t.add_column(col)
    for p in analysis.recommendation.path:
        rng = f"{p.workers_range[0]}-{p.workers_range[1]}" if p.workers_range else ""
        t.add_row(p.node, p.label, f"{p.condition}\n[dim]{values_text(p.values)}[/]", rng)
    return t


def _capacity_table(analysis: Analysis) -> Table | None:
    cap = analysis.recommendation.capacity
    if cap is None or not cap.cpu_s_per_request:
        return None
    t = Table(title=f"Capacity model: loop CPU {fmt_value('cpu_s_per_request', cap.cpu_s_per_request)}/request "
                    f"({cap.cpu_source}), one loop saturates near {cap.loop_saturation_rps} RPS",
              title_justify="left")
    for col in ("workers", "predicted max RPS", "measured peak RPS"):
        t.add_column(col, justify="right")
    for r in cap.rows:
        t.add_row(str(r.workers), fmt_value("rps", r.predicted_max_rps), fmt_value("rps", r.measured_peak_rps))
    return t


def render(analysis: Analysis, console: Console | None = None) -> str:
    """The terminal report as a string (plain text at 120 columns unless a console is given)."""
    console = console or Console(width=120, record=True, force_terminal=False)
    with console.capture() as cap:
        _print(analysis, console)
    return cap.get()


def _print(analysis: Analysis, console: Console) -> None:
    rec = analysis.recommendation
    lo, hi = rec.workers_range
    head = (f"[bold]{rec.verdict}[/]\nrange {lo}-{hi} | confidence {rec.confidence:.2f} ({rec.confidence_label})"
            f"\n{environment_line(analysis.environment)}")
    console.print(Panel(head, title="workeradvisor verdict", expand=False), highlight=False)
    console.print("[bold]Actions[/]")
    _actions(analysis, console)
    ev = Table(title="Evidence", title_justify="left")
    ev.add_column("measured")
    ev.add_column("value", justify="right")
    ev.add_column("metric", style="dim")
    for label, value, name in evidence_rows(analysis):
        ev.add_row(label, value, name)
    console.print(ev)
    if rec.compare:
        t = Table(title="Decision matrix (seed 000)", title_justify="left")
        for col in COMPARE_HEADERS:
            t.add_column(col, justify="right")
        for row in rec.compare:
            t.add_row(*compare_cells(row, rec.threshold("scale_gain_min")))
        console.print(t)
    if analysis.operations:
        ops = Table(title="Per operation (each alone at 1 CCU)", title_justify="left")
        for col in OPERATION_HEADERS:
            ops.add_column(col, justify="left" if col == "operation" else "right")
        for cells in operation_rows(analysis):
            ops.add_row(*cells)
        console.print(ops)
        console.print(f"heaviest: {heaviest_operation(analysis)}", highlight=False, markup=False)
    cap = _capacity_table(analysis)
    if cap is not None:
        console.print(cap)
    console.print(_path_table(analysis))
    for note in (*rec.notes, *analysis.notes):
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    for reason in rec.confidence_reasons:
        console.print(f"[dim]confidence: {reason}[/]", highlight=False)
