"""A rich table per load run: one row per stage, untrustworthy stages marked, the knee underneath."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from workeradvisor.models.load import LoadResult, OperationStats, ProcessSample, StageResult
from workeradvisor.report.text_fit import Cell, Col, print_table, report_console

FILE_WIDTH = 160  # into a pipe or a file every column fits


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


def process_memory(p: ProcessSample) -> str:
    """``"RSS 120 MiB, PSS 60 MiB (USS 20, shared 100)"``; RSS alone when smaps was not read."""
    text = f"{_mib(p.rss_bytes)} MiB"
    if p.pss_bytes is None:
        return text
    return f"RSS {text}, PSS {_mib(p.pss_bytes)} MiB (USS {_mib(p.uss_bytes or 0)}, shared {_mib(p.shared_bytes or 0)})"


# Priority 0 always shows; at narrow widths 4 goes first, then 3, 2, 1. Figures only workeradvisor's own
# generator measures are left out of imported runs, where every cell would be "-".
COLUMNS: tuple[Col, ...] = (
    Col("stage", 0, "left", wrap=False),
    Col("RPS", 0, "right", wrap=False),
    Col("p50 ms", 1, "right", wrap=False),
    Col("p90 ms", 3, "right", wrap=False),
    Col("p99 ms", 0, "right", wrap=False),
    Col("p99.9 ms", 4, "right", wrap=False),
    Col("max ms", 3, "right", wrap=False),
    Col("errors", 0),
    Col("server CPU%", 1, "right", wrap=False, omit_empty=True),
    Col("server RSS MiB", 2, "right", wrap=False, omit_empty=True),
    Col("server PSS MiB", 2, "right", wrap=False, omit_empty=True),
    Col("gen CPU%", 4, "right", wrap=False, omit_empty=True),
    Col("host idle%", 4, "right", wrap=False, omit_empty=True),
    Col("trust", 0),
)


def row_cells(result: LoadResult, s: StageResult) -> list[Cell]:
    lat = s.latency_ms
    server = s.server
    ours = result.source == "workeradvisor"
    return [
        stage_label(s), f"{s.rps:,.0f}", ms_cell(lat.p50), ms_cell(lat.p90), ms_cell(lat.p99),
        ms_cell(lat.p999), ms_cell(lat.max), error_text(s),
        f"{server.total_cpu_percent:.0f}" if server else "-", _mib(server.total_rss_bytes) if server else "-",
        _mib(server.total_pss_bytes) if server and server.total_pss_bytes else "-",
        f"{s.generator_cpu_percent:.0f}" if ours else "-", f"{s.host_cpu_idle_percent:.0f}" if ours else "-",
        trust_text(s),
    ]


OPERATION_COLUMNS: tuple[Col, ...] = (
    Col("operation", 0, "left"),
    Col("requests", 0, "right", wrap=False),
    Col("RPS", 2, "right", wrap=False),
    Col("p50 ms", 1, "right", wrap=False),
    Col("p99 ms", 0, "right", wrap=False),
    Col("2xx/3xx", 0, "right", wrap=False),
    Col("failures", 0),
)


def operations_stage(result: LoadResult) -> StageResult | None:
    """The stage whose per-operation table the reports show: the heaviest trusted stage that has one
    (the peak of the ladder, where a slow or failing operation shows most), else the last that has one."""
    with_ops = [s for s in result.stages if s.operations]
    trusted = [s for s in with_ops if not s.generator_bound and not s.partial]
    pool = trusted or with_ops
    return max(pool, key=lambda s: (s.rps, s.ccu or 0)) if pool else None


def failure_text(o: OperationStats) -> str:
    """e.g. "12 (422 x10, 2 timeout)"; "0" when every attempt got a 2xx/3xx."""
    parts = [f"{code} x{n}" for code, n in o.statuses if code >= 400]
    parts += [f"{n} {k}" for k, n in (("timeout", o.timeouts), ("read", o.read_errors)) if n]
    failed = o.attempts - o.ok
    return f"{failed} ({', '.join(parts)})" if failed else "0"


def operation_cells(o: OperationStats) -> list[Cell]:
    ok = f"{o.ok / o.attempts:.0%}" if o.attempts else "-"
    return [o.name, f"{o.requests:,}", f"{o.rps:,.1f}", ms_cell(o.p50_ms), ms_cell(o.p99_ms), ok, failure_text(o)]


def operations_title(s: StageResult) -> str:
    return f"Operations at {stage_label(s)}"


def sticky_text(s: StageResult) -> str:
    """The keep-alive stickiness note for a stage where one worker of several did the work, with the fix."""
    found = s.sticky_worker()
    if found is None:
        return ""
    top, share = found
    others = sum(1 for p in (s.server.processes if s.server else ()) if p.role == "worker") - 1
    return (f"{stage_label(s)}: worker {top.pid} did {share:.0%} of the workers' CPU while the other {others} idled: "
            "keep-alive connections stay on the worker that accepted them, so this stage measured one worker. "
            "Load with more connections than workers (a higher --ccu), or a client that opens new connections")


def title(result: LoadResult) -> str:
    return f"Load: {result.target or 'imported results'} ({result.source})"


def _row_style(s: StageResult) -> str | None:
    return "red" if s.generator_bound else None


def summary_lines(result: LoadResult) -> list[str]:
    lines = []
    if result.knee_first_saturated_ccu is not None:
        healthy = result.knee_last_healthy_ccu
        lines.append(f"Knee: last healthy ccu {healthy if healthy is not None else 'none'}, "
                     f"first saturated ccu {result.knee_first_saturated_ccu}")
    for s in result.stages:
        sticky = sticky_text(s)
        if sticky:
            lines.append(sticky)
        if s.generator_bound:
            lines.append(f"{stage_label(s)} is untrustworthy (generator-bound: {s.generator_bound_reason})")
        if s.server:
            per = ", ".join(f"{p.role} {p.pid}: {p.cpu_percent:.0f}% CPU, {process_memory(p)}"
                            for p in s.server.processes)
            lines.append(f"{stage_label(s)} server: {per}")
            if s.server.memory_note:
                lines.append(f"{stage_label(s)} server: {s.server.memory_note}")
    lines.extend(result.notes)
    if result.interrupted:
        lines.append("Interrupted: finished stages and the partial one are shown.")
    return lines


def render(result: LoadResult, console: Console | None = None) -> str:
    """The terminal report as a string: plain text at the terminal's width (or COLUMNS), 160 columns
    into a pipe or a file, unless a console is given."""
    console = console or report_console(FILE_WIDTH)
    rows = [row_cells(result, s) for s in result.stages]
    with console.capture() as cap:
        print_table(console, title(result), list(COLUMNS), rows, [_row_style(s) for s in result.stages])
        top = operations_stage(result)
        if top is not None and len(top.operations) > 1:
            op_rows = [operation_cells(o) for o in top.operations]
            print_table(console, operations_title(top), list(OPERATION_COLUMNS), op_rows,
                        ["red" if o.error_fraction > 0.5 else None for o in top.operations])
        for line in summary_lines(result):
            console.print(Text(line), highlight=False)
    return cap.get()
