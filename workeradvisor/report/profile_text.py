"""Terminal report for a live profile: loop busy split, per-request figures, idle culprits, call sites."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from workeradvisor.models.profile import CallSite, IdleReport, ProfileResult, ThreadStat, stack_text

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


def _workers_table(result: ProfileResult) -> Table:
    table = Table(title=f"Profile: {result.target}", title_justify="left")
    for col in ("worker", "loop busy", "on-CPU", "run-queue", "attr: CPU", "attr: blocked", "attr: selector",
                "RSS MiB", "USS MiB"):
        table.add_column(col, justify="left" if col == "worker" else "right")
    for w in result.workers:
        loop = w.loop
        table.add_row(
            str(w.pid), pct(loop.busy_fraction if loop else None), pct(loop.on_cpu_fraction if loop else None),
            pct(loop.runqueue_fraction if loop else None), pct(w.app_cpu_share), pct(w.blocked_share),
            pct(w.selector_share), f"{w.rss_bytes / 2**20:.0f}", f"{w.uss_bytes / 2**20:.0f}" if w.uss_bytes else "-",
        )
    return table


def _threads_table(result: ProfileResult) -> Table:
    table = Table(title="Threads (CPU over the headline window)", title_justify="left")
    for col in ("worker", "tid", "name", "CPU s", "CPU%"):
        table.add_column(col, justify="left" if col in ("worker", "name") else "right")
    for w in result.workers:
        for t in busy_threads(w.threads):
            table.add_row(str(w.pid), str(t.tid), t.name + (" (loop)" if t.is_loop else ""), f"{t.cpu_seconds:.3f}",
                          f"{t.cpu_percent:.1f}")
    return table


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
    console = console or Console(width=120, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(_workers_table(result))
        console.print(_threads_table(result))
        for line in lines(result):
            console.print(line, markup=False, highlight=False)
    return cap.get()
