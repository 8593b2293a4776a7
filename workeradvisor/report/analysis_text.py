"""The terminal report: the verdict first, then the evidence, then the decision path with its numbers."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from workeradvisor.models.decision import Analysis
from workeradvisor.report import fleet_report
from workeradvisor.report.analysis_common import (
    COMPARE_HEADERS,
    LOAD_OPERATION_HEADERS,
    NOT_MEASURED,
    OPERATION_HEADERS,
    compare_cells,
    environment_line,
    evidence_rows,
    fmt_value,
    heaviest_operation,
    load_operation_table,
    operation_rows,
    values_text,
)
from workeradvisor.report.memory_parts import MEMORY_HEADERS, memory_lines, memory_rows
from workeradvisor.report.text_fit import Cell, Col, labelled, print_table, report_console
from workeradvisor.report.verdict_parts import GAIN_HEADERS, gain_cells, no_verdict_text, noise_line


def _actions(analysis: Analysis, console: Console) -> None:
    assert analysis.recommendation is not None
    for i, a in enumerate(analysis.recommendation.actions, 1):
        head = Text.assemble((f"{i}. {a.kind}", "bold"), (" (first)", "bold red") if a.first else "", ": ", a.title)
        console.print(head, highlight=False)
        if a.evidence:
            labelled(console, "   evidence:", Text(values_text(a.evidence)))
        for s in a.sites[:8]:
            func = f" in {s.function}" if s.function else ""
            labelled(console, "   -", Text.assemble((f"{s.path}:{s.line}", "cyan"), f"{func}: {s.detail}"))
        if len(a.sites) > 8:
            console.print(f"   ... and {len(a.sites) - 8} more site(s)")
        if a.fix:
            console.print(Markdown(a.fix), width=min(console.width, 110))


def _path_rows(analysis: Analysis) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    assert analysis.recommendation is not None
    for p in analysis.recommendation.path:
        rng = f"{p.workers_range[0]}-{p.workers_range[1]}" if p.workers_range else ""
        because = Text.assemble(p.condition, "\n", (values_text(p.values), "dim"))
        rows.append([p.node, p.label, because, rng])
    return rows


PATH_COLUMNS = [Col("node", wrap=False), Col("branch taken"), Col("because"), Col("workers", wrap=False)]
EVIDENCE_COLUMNS = [Col("measured"), Col("value", justify="right", wrap=False), Col("metric", 1, wrap=False)]
COMPARE_PRIORITY = {"CPU %": 1, "memory": 2}
CAPACITY_COLUMNS = [Col(h, justify="right", wrap=False) for h in ("workers", "predicted max RPS", "measured peak RPS")]


def _capacity(analysis: Analysis, console: Console) -> None:
    assert analysis.recommendation is not None
    cap = analysis.recommendation.capacity
    if cap is None or not cap.cpu_s_per_request:
        return
    title = (f"Capacity model: loop CPU {fmt_value('cpu_s_per_request', cap.cpu_s_per_request)}/request "
             f"({cap.cpu_source}), one loop saturates near {cap.loop_saturation_rps} RPS")
    rows: list[list[Cell]] = [[str(r.workers), fmt_value("rps", r.predicted_max_rps),
                               fmt_value("rps", r.measured_peak_rps) if r.measured_peak_rps is not None
                               else NOT_MEASURED] for r in cap.rows]
    if rows:
        print_table(console, title, CAPACITY_COLUMNS, rows)
    else:  # no load test: the model's saturation point alone
        console.print(Text(title, style="italic"), highlight=False)


def _memory(analysis: Analysis, console: Console) -> None:
    """RSS, USS, PSS and shared memory per server process (only when PSS was measured)."""
    rows = memory_rows(analysis)
    if not rows:
        return
    cols = [Col(h, 0 if h in ("workers", "pid", "RSS MiB", "PSS MiB") else 1, "left" if h == "process" else "right",
                wrap=False) for h in MEMORY_HEADERS]
    print_table(console, "Memory per process (highest trusted stage of each run)", cols, [list(r) for r in rows])
    for line in memory_lines(analysis):
        labelled(console, Text("memory:", "dim"), Text(line))


def render(analysis: Analysis, console: Console | None = None) -> str:
    """The terminal report as a string: plain text at ``report_width()`` (the terminal's, COLUMNS,
    else 120) unless a console is given."""
    console = console or report_console()
    with console.capture() as cap:
        _print(analysis, console)
    return cap.get()


def _no_verdict(analysis: Analysis, console: Console) -> None:
    """No verdict without evidence: the reason (naming the fix) instead of a recommendation."""
    assert analysis.no_verdict is not None
    head = Text.assemble((no_verdict_text(analysis.no_verdict), "bold"), f"\n{environment_line(analysis.environment)}")
    console.print(Panel(head, title="workeradvisor: no verdict", expand=False), highlight=False)
    for note in analysis.notes:
        labelled(console, Text("note:", "yellow"), Text(note))


def _gains(analysis: Analysis, console: Console) -> None:
    """The worker comparison from paired interleaved trials: the gain interval and the rule's outcome."""
    rec = analysis.recommendation
    if rec is None or not rec.gain_tests:
        return
    cols = [Col(h, 0, "right", wrap=h == GAIN_HEADERS[-1]) for h in GAIN_HEADERS]
    print_table(console, "Worker comparison: paired interleaved trials, 90% intervals", cols,
                [list(gain_cells(t)) for t in rec.gain_tests])
    for test in rec.gain_tests:
        labelled(console, Text("rule:", "dim"), Text(test.reason, "dim"))


def _print(analysis: Analysis, console: Console) -> None:
    rec = analysis.recommendation
    if rec is None:
        _no_verdict(analysis, console)
        return
    lo, hi = rec.workers_range
    head = Text.assemble((rec.verdict, "bold"), f"\nrange {lo}-{hi} | confidence {rec.confidence:.2f} "
                         f"({rec.confidence_label})\n{environment_line(analysis.environment)}"
                         + (f"\n{analysis.deploy.line()}" if analysis.deploy else ""))
    console.print(Panel(head, title="workeradvisor verdict", expand=False), highlight=False)
    console.print("[bold]Actions[/]")
    _actions(analysis, console)
    print_table(console, "Evidence", EVIDENCE_COLUMNS, [list(r) for r in evidence_rows(analysis)])
    if rec.compare:
        cols = [Col(h, COMPARE_PRIORITY.get(h, 0), "right", wrap=h == COMPARE_HEADERS[-1]) for h in COMPARE_HEADERS]
        gain_min = rec.threshold("scale_gain_min")
        print_table(console, "Decision matrix (seed 000)", cols,
                    [list(compare_cells(r, gain_min)) for r in rec.compare])
    if analysis.operations:
        cols = [Col(h, 1 if h == "operation" else 0, "left" if h == "operation" else "right")
                for h in OPERATION_HEADERS]
        print_table(console, "Per operation (each alone at 1 CCU)", cols, [list(r) for r in operation_rows(analysis)])
        console.print(Text(f"heaviest: {heaviest_operation(analysis)}"), highlight=False)
    under_load = load_operation_table(analysis)
    if under_load is not None:
        cols = [Col(h, 1 if h == "operation" else 0, "left" if h in ("operation", "failures") else "right")
                for h in LOAD_OPERATION_HEADERS]
        print_table(console, under_load[0], cols, [list(r) for r in under_load[1]])
    _gains(analysis, console)
    if rec.host_noise is not None:
        labelled(console, Text("host:", "dim"), Text(noise_line(rec.host_noise), "dim"))
    _capacity(analysis, console)
    _memory(analysis, console)
    print_table(console, "Decision path (rules/decision.yaml)", PATH_COLUMNS, _path_rows(analysis))
    for section in fleet_report.analysis_sections_text(analysis.pools, analysis.fleet, rec.workers):
        console.print(Text(section.rstrip()), highlight=False)
    for note in (*rec.notes, *analysis.notes):
        labelled(console, Text("note:", "yellow"), Text(note))
    for reason in rec.confidence_reasons:
        labelled(console, Text("confidence:", "dim"), Text(reason, "dim"))
