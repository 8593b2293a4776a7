"""Terminal report for a live profile: loop busy split, per-request figures, idle culprits, call sites."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from workeradvisor.models.profile import CallSite, IdleReport, ProfileResult, ThreadStat, stack_text
from workeradvisor.report.text_fit import Cell, Col, print_table, report_console

MAX_THREADS = 8


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def culprit_sentences(idle: IdleReport) -> list[str]:
    """'thread `metrics-push` 38% CPU at idle in `push_loop()` (app/metrics.py:14)' per culprit."""
    out = []
    for i, t in enumerate(idle.culprits):
        stack = stack_text(idle.stack(i))
        where = f" in {stack}" if stack else ""
        role = " (the event loop)" if t.is_loop else ""
        out.append(f"thread `{t.name}`{role} {t.cpu_percent:.0f}% CPU at idle{where}")
    return out


def site_text(c: CallSite) -> str:
    confirmed = f"  [confirms {', '.join(c.confirmed_findings)}]" if c.confirmed_findings else ""
    return f"{c.share * 100:5.1f}%  {c.function}()  {c.path}:{c.line}{confirmed}"


def busy_threads(threads: tuple[ThreadStat, ...]) -> list[ThreadStat]:
    shown = [t for t in threads if t.is_loop or t.cpu_seconds > 0]
    return sorted(shown, key=lambda t: (not t.is_loop, -t.cpu_seconds))[:MAX_THREADS]


WORKER_COLUMNS = [
    Col("worker", wrap=False), Col("loop busy", 0, "right", wrap=False), Col("on-CPU", 1, "right", wrap=False),
    Col("run-queue", 2, "right", wrap=False), Col("attr: CPU", 0, "right", wrap=False),
    Col("attr: blocked", 0, "right", wrap=False), Col("attr: selector", 2, "right", wrap=False),
    Col("RSS MiB", 1, "right", wrap=False), Col("USS MiB", 3, "right", wrap=False, omit_empty=True),
    Col("PSS MiB", 3, "right", wrap=False, omit_empty=True),
]
THREAD_COLUMNS = [Col("worker", 1, wrap=False), Col("tid", 2, "right", wrap=False), Col("name"),
                  Col("CPU s", 3, "right", wrap=False), Col("CPU%", 0, "right", wrap=False)]


def _worker_rows(result: ProfileResult) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for w in result.workers:
        loop = w.loop
        rows.append([
            str(w.pid), pct(loop.busy_fraction if loop else None), pct(loop.on_cpu_fraction if loop else None),
            pct(loop.runqueue_fraction if loop else None), pct(w.app_cpu_share), pct(w.blocked_share),
            pct(w.selector_share), f"{w.rss_bytes / 2**20:.0f}", f"{w.uss_bytes / 2**20:.0f}" if w.uss_bytes else "-",
            f"{w.pss_bytes / 2**20:.0f}" if w.pss_bytes else "-",
        ])
    return rows


def _thread_rows(result: ProfileResult) -> list[list[Cell]]:
    return [[str(w.pid), str(t.tid), t.name + (" (loop)" if t.is_loop else ""), f"{t.cpu_seconds:.3f}",
             f"{t.cpu_percent:.1f}"] for w in result.workers for t in busy_threads(w.threads)]


def lines(result: ProfileResult) -> list[str]:
    """The plain-text findings under the tables (shared with the markdown renderer)."""
    out: list[str] = []
    p = result.per_request
    if p is not None:
        out.append(f"Per request ({p.requests} requests at {p.concurrency} concurrent): loop CPU "
                   f"{p.loop_cpu_s_per_request * 1000:.2f} ms, mean latency {p.mean_latency_ms:.1f} ms, "
                   f"request CPU ratio {p.request_cpu_ratio:.2f}, I/O ratio {p.io_ratio:.2f}")
    if result.idle is not None:
        idle = result.idle
        procs = ", ".join(f"pid {pid} {cpu:.1f}%" for pid, cpu in idle.process_cpu_percent)
        out.append(f"Idle CPU over {idle.window_s:.1f} s: {procs}")
        out.extend(culprit_sentences(idle) or ["no thread uses material CPU at idle"])
        if idle.reload_detected:
            out.append("uvicorn --reload detected: its file watcher polls")
    if result.top_blocking:
        out.append("Top blocking call sites (loop stuck off-CPU in application code):")
        out.extend("  " + site_text(c) for c in result.top_blocking)
    if result.top_cpu:
        out.append("Top CPU call sites on the loop:")
        out.extend("  " + site_text(c) for c in result.top_cpu)
    if result.partial:
        out.append("PARTIAL: a target process exited during a window; figures cover what was measured")
    if result.attribution_error:
        out.append(f"attribution pass failed: {result.attribution_error}")
    out.extend(f"note: {n}" for n in result.notes)
    return out


def render(result: ProfileResult, console: Console | None = None) -> str:
    """The terminal report as a string: plain text at the terminal's width (or COLUMNS), 120
    columns into a pipe or a file, unless a console is given."""
    console = console or report_console()
    with console.capture() as cap:
        print_table(console, f"Profile: {result.target}", WORKER_COLUMNS, _worker_rows(result))
        print_table(console, "Threads (CPU over the headline window)", THREAD_COLUMNS, _thread_rows(result))
        for line in lines(result):
            console.print(Text(line), highlight=False)
    return cap.get()
