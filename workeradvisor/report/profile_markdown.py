"""Markdown for a live profile (PR comments, CI summaries)."""

from __future__ import annotations

from workeradvisor.models.profile import ProfileResult
from workeradvisor.report.profile_text import busy_threads, lines, pct


def render(result: ProfileResult) -> str:
    out = [f"## workeradvisor profile: {result.target}", ""]
    out += ["| worker | loop busy | on-CPU | run-queue | attr: CPU | attr: blocked | attr: selector | RSS MiB "
            "| PSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in result.workers:
        loop = w.loop
        out.append(f"| {w.pid} | {pct(loop.busy_fraction if loop else None)} | "
                   f"{pct(loop.on_cpu_fraction if loop else None)} | {pct(loop.runqueue_fraction if loop else None)} | "
                   f"{pct(w.app_cpu_share)} | {pct(w.blocked_share)} | {pct(w.selector_share)} | "
                   f"{w.rss_bytes / 2**20:.0f} | {f'{w.pss_bytes / 2**20:.0f}' if w.pss_bytes else '-'} |")
    out += ["", "| worker | tid | thread | CPU s | CPU% |", "|---|---:|---|---:|---:|"]
    for w in result.workers:
        for t in busy_threads(w.threads):
            name = t.name.replace("|", "\\|") + (" (loop)" if t.is_loop else "")
            out.append(f"| {w.pid} | {t.tid} | `{name}` | {t.cpu_seconds:.3f} | {t.cpu_percent:.1f} |")
    out.append("")
    for line in lines(result):
        out.append(f"- {line.strip()}" if not line.startswith("  ") else f"  - `{line.strip()}`")
    return "\n".join(out) + "\n"
