"""The format tables: one ``name -> render(result) -> str`` map per report kind.

Commands pick from these (``output.choose``); a new format is one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workeradvisor.models.decision import Analysis
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult
from workeradvisor.models.scan import Finding, ScanError, ScanResult, ScanSummary
from workeradvisor.report import (
    analysis_json,
    analysis_markdown,
    analysis_text,
    findings_json,
    findings_markdown,
    findings_text,
    load_json,
    load_markdown,
    load_text,
    profile_json,
    profile_markdown,
    profile_text,
    sarif,
)
from workeradvisor.report.output import Renderer
from workeradvisor.rulebook import Rule

ANALYSIS_FORMATS: Mapping[str, Renderer[Analysis]] = {
    "text": analysis_text.render,
    "json": analysis_json.render,
    "markdown": analysis_markdown.render,
}
LOAD_FORMATS: Mapping[str, Renderer[LoadResult]] = {
    "text": load_text.render,
    "json": load_json.render,
    "markdown": load_markdown.render,
}
PROFILE_FORMATS: Mapping[str, Renderer[ProfileResult]] = {
    "text": profile_text.render,
    "json": profile_json.render,
    "markdown": profile_markdown.render,
}



@dataclass(frozen=True)
class FindingsReport:
    """What a findings report renders: the findings plus the rules they were checked against."""

    findings: Sequence[Finding]
    rules: Mapping[str, Rule]
    errors: Sequence[ScanError] = ()
    summary: ScanSummary | Mapping[str, Any] | None = None
    files_scanned: int = 0

    @staticmethod
    def of(result: ScanResult, rules: Mapping[str, Rule]) -> FindingsReport:
        return FindingsReport(result.findings, rules, result.errors, result.summary, result.files_scanned)

    def kwargs(self) -> dict[str, Any]:
        return {"errors": self.errors, "summary": self.summary, "files_scanned": self.files_scanned}


FINDINGS_FORMATS: Mapping[str, Renderer[FindingsReport]] = {
    "text": lambda r: findings_text.render(r.findings, r.rules, **r.kwargs()),
    "json": lambda r: findings_json.render(r.findings, r.rules, **r.kwargs()),
    "sarif": lambda r: sarif.render(r.findings, r.rules, **r.kwargs()),
    "markdown": lambda r: findings_markdown.render(r.findings, r.rules, **r.kwargs()),
}
