"""GitHub Actions output: workflow-command annotations plus a markdown job summary.

Annotations use the documented ``::error file=...,line=...,title=...::message`` syntax (notice for
info); the summary is appended to the file named by ``$GITHUB_STEP_SUMMARY`` when it is set.
Takes plain findings and dict rows so any command (scan, check) can use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workeradvisor.models.scan import Finding

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
INVENTORY_COLUMNS = ("path", "kind", "name", "server", "workers", "reload", "cpu_limit", "memory_limit", "replicas")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, path: str = "", line: int = 0, title: str = "") -> str:
    props = []
    if path:
        props.append(f"file={_escape_property(path)}")
        if line:
            props.append(f"line={line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} " + ",".join(props) if props else f"::{level}"
    return f"{head}::{_escape_data(message)}"


def render_annotations(findings: Sequence[Finding], errors: Sequence[Mapping[str, Any]] = (),
                       notes: Sequence[str] = ()) -> str:
    """One workflow command per finding (and per unreadable file, as an error; notes as notices)."""
    lines = [annotation("notice", note, title="workeradvisor") for note in notes]
    lines += [annotation("error", str(e["message"]), str(e["path"]), int(e.get("line") or 0), "cannot parse")
              for e in errors]
    for f in findings:
        lines.append(annotation(_LEVEL.get(f.severity, "warning"), f"{f.message}. Fix: {f.fix}", f.path, f.line,
                                f"{f.rule} {f.name}"))
    return "\n".join(lines) + ("\n" if lines else "")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if value is None:
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def inventory_markdown(inventory: Sequence[Mapping[str, Any]]) -> str:
    """Which files were found and what each configures, as a markdown table."""
    out = ["### What the deployment configures", ""]
    if not inventory:
        return "\n".join(out + ["No deployment files found.", ""])
    out += ["| " + " | ".join(INVENTORY_COLUMNS) + " |", "|" + "---|" * len(INVENTORY_COLUMNS)]
    out += ["| " + " | ".join(_cell(row.get(c, "")) for c in INVENTORY_COLUMNS) + " |" for row in inventory]
    return "\n".join(out + [""])


def summary_markdown(title: str, findings: Sequence[Finding], inventory: Sequence[Mapping[str, Any]] = (),
                     errors: Sequence[Mapping[str, Any]] = (), failed: bool = False,
                     notes: Sequence[str] = ()) -> str:
    """The job summary: verdict, counts, what was checked (or plainly that nothing was), findings."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    verdict = "failed" if failed else "passed"
    out = [f"## {title}: {verdict}", "",
           f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info; "
           f"{len(errors)} file(s) could not be parsed.", ""]
    out += [f"> **Note:** {_cell(n)}" for n in notes] + ([""] if notes else [])
    if inventory:
        out.append(inventory_markdown(inventory))
    if errors:
        out += ["### Files that could not be parsed", ""]
        out += [f"- `{e['path']}:{e.get('line') or 0}` {_cell(e['message'])}" for e in errors]
        out.append("")
    if findings:
        out += ["### Findings", "", "| severity | rule | where | message | fix |", "|---|---|---|---|---|"]
        out += [f"| {f.severity} | {f.rule} {f.name} | `{f.path}:{f.line}` | {_cell(f.message)} | {_cell(f.fix)} |"
                for f in findings]
        out.append("")
    return "\n".join(out)


def append_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append to ``$GITHUB_STEP_SUMMARY`` when set; returns the file written, else None."""
    target = (environ if environ is not None else os.environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
