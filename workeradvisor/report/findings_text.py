"""Findings as plain text for a terminal: one line per finding (ruff style), chain and fix below
(wrapped at spaces to the terminal's width; whole lines into a pipe or a file).

Shared by ``scan`` and ``check``: takes findings plus the rules they came from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workeradvisor.models.scan import Finding, ScanError, ScanSummary
from workeradvisor.report.text_fit import hanging, terminal_width
from workeradvisor.rulebook import Rule


def render(findings: Sequence[Finding], rules: Mapping[str, Rule], *, errors: Sequence[ScanError] = (),
           summary: ScanSummary | Mapping[str, Any] | None = None, files_scanned: int | None = None) -> str:
    lines: list[str] = []
    width = terminal_width()  # the finding's own line never wraps: editors and CI parse it
    for f in findings:
        lines.append(f"{f.path}:{f.line}:{f.col + 1}: {f.rule} [{f.severity}] {f.message}")
        if f.chain:
            lines.extend(hanging("    chain: ", f.chain_text, width))
        lines.extend(hanging("    fix: ", f.fix, width))
    for e in errors:
        lines.append(f"{e.path}: error: {e.message}")
    if lines:
        lines.append("")
    lines.extend(summary_lines(findings, summary, files_scanned, len(errors)))
    return "\n".join(lines) + "\n"


def summary_lines(findings: Sequence[Finding], summary: ScanSummary | Mapping[str, Any] | None,
                  files_scanned: int | None, n_errors: int) -> list[str]:
    data = summary.to_dict() if isinstance(summary, ScanSummary) else dict(summary or {})
    files = files_scanned if files_scanned is not None else data.get("files_scanned")
    out = []
    head = f"{len(findings)} finding(s)"
    if files is not None:
        head += f" in {files} file(s) scanned"
    if n_errors:
        head += f", {n_errors} file(s) with errors"
    out.append(head)
    if "async_endpoints" in data:
        out.append(
            f"endpoints: {data['async_endpoints']} async, {data['sync_endpoints']} sync"
            f" (async ratio {data['async_ratio']:.0%}); functions: {data['async_functions']} async,"
            f" {data['sync_functions']} sync"
        )
    by_cat: dict[str, int] = {}
    for f in findings:
        by_cat[f.category] = by_cat.get(f.category, 0) + 1
    if by_cat:
        out.append("by category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    return out
