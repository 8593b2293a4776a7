"""Findings as the stable JSON document (version 1) documented in docs/json.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workeradvisor.jsonsafe import dumps  # never NaN/Infinity in the JSON we write
from workeradvisor.models.scan import Finding, ScanError, ScanSummary
from workeradvisor.rulebook import Rule


def document(findings: Sequence[Finding], rules: Mapping[str, Rule], *, errors: Sequence[ScanError] = (),
             summary: ScanSummary | Mapping[str, Any] | None = None, files_scanned: int = 0) -> dict[str, Any]:
    del rules  # every finding already carries its rule's name, category, severity, message and fix
    data = summary.to_dict() if isinstance(summary, ScanSummary) else dict(summary or {})
    return {
        "version": 1,
        "files_scanned": files_scanned,
        "errors": [e.to_dict() for e in errors],
        "summary": data,
        "findings": [f.to_dict() for f in findings],
    }


def render(findings: Sequence[Finding], rules: Mapping[str, Rule], **kwargs: Any) -> str:
    return dumps(document(findings, rules, **kwargs), indent=2) + "\n"
