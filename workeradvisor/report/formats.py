"""The format tables: one ``name -> render(result) -> str`` map per report kind.

Commands pick from these (``output.choose``); a new format is one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping

from workeradvisor.models.decision import Analysis
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult
from workeradvisor.report import (
    analysis_json,
    analysis_markdown,
    analysis_text,
    load_json,
    load_markdown,
    load_text,
    profile_json,
    profile_markdown,
    profile_text,
)
from workeradvisor.report.output import Renderer

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
