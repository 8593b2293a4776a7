"""Findings as Markdown grouped by file, ready to paste as a pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from workeradvisor.models.scan import Finding, ScanError, ScanSummary
from workeradvisor.report.findings_text import summary_lines
from workeradvisor.rulebook import Rule

_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(findings: Sequence[Finding], rules: Mapping[str, Rule], *, errors: Sequence[ScanError] = (),
           summary: ScanSummary | Mapping[str, Any] | None = None, files_scanned: int | None = None,
           title: str = "workeradvisor scan") -> str:
    out = [f"## {title}", ""]
    out += [f"- {line}" for line in summary_lines(findings, summary, files_scanned, len(errors))]
    out.append("")
    ordered = sorted(findings, key=lambda f: (f.path, f.line, f.col, f.rule))
    for path, group in groupby(ordered, key=lambda f: f.path):
        out += [f"### `{path}`", "", "| line | rule | severity | finding |", "|---:|---|---|---|"]
        for f in group:
            text = _cell(f.message)
            if f.chain:
                text += "<br>chain: `" + _cell(f.chain_text) + "`"
            text += "<br>fix: " + _cell(f.fix)
            out.append(f"| {f.line} | `{f.rule}` {_cell(f.name)} | {_ICON.get(f.severity, '')} {f.severity} | {text} |")
        out.append("")
    if errors:
        out += ["### Files not scanned", ""]
        out += [f"- `{e.path}`: {_cell(e.message)}" for e in errors]
        out.append("")
    used = sorted({f.rule for f in findings})
    if used:
        out += ["<details><summary>Rules</summary>", ""]
        for rid in used:
            rule = rules.get(rid)
            if rule is not None:
                out.append(f"- **{rid} {rule.name}**: {_cell(rule.docs.splitlines()[0])}")
        out += ["", "</details>", ""]
    return "\n".join(out)
