"""``workeradvisor scan PATH...``: static findings as text, JSON, SARIF or Markdown."""

from __future__ import annotations

import dataclasses
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from workeradvisor.models.scan import Finding, ScanResult
from workeradvisor.report.formats import FINDINGS_FORMATS, FindingsReport
from workeradvisor.report.output import validate_output, write_report
from workeradvisor.scan.config import load_config
from workeradvisor.scan.engine import chosen_rules, scan_paths

_RANK = {"info": 1, "warning": 2, "error": 3}


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for raw in values or () for v in raw.split(",") if v.strip())


def only_in(result: ScanResult, paths: list[Path]) -> ScanResult:
    """Keep the findings and errors located in ``paths`` (files, or directories holding them)."""
    wanted = [os.path.abspath(p) for p in paths]

    def inside(path: str) -> bool:
        full = os.path.abspath(path)
        return any(full == w or full.startswith(w.rstrip(os.sep) + os.sep) for w in wanted)

    findings = tuple(f for f in result.findings if inside(f.path))
    errors = tuple(e for e in result.errors if inside(e.path))
    return dataclasses.replace(result, findings=findings, errors=errors)


def should_fail(findings: tuple[Finding, ...], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    return any(_RANK.get(f.severity, 0) >= _RANK[fail_on] for f in findings)


def scan(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to scan.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")] = None,
    fail_on: Annotated[FailOn | None, typer.Option(
        "--fail-on", help="Exit 1 on findings at or above this severity (default: error, or pyproject's fail-on)."
    )] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Rule ids or prefixes, comma separated.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Rule ids or prefixes to skip.")] = None,
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra directory of rule YAML files.")] = None,
    max_depth: Annotated[int | None, typer.Option("--max-depth", min=0, help="How deep to follow sync calls (4).")
                         ] = None,
    graph_root: Annotated[Path | None, typer.Option(
        "--graph-root", metavar="DIR",
        help="Build the call graph from all of DIR but report only findings in the PATHS given "
             "(the pre-commit hook: chains across modules, findings only in the files being committed).",
    )] = None,
) -> None:
    """Find blocking calls, CPU work on the loop, sync endpoints and per-request clients (never imports code)."""
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing and len(missing) == len(paths):  # a typo must not turn a gate green
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    validate_output(output)
    config = load_config(Path.cwd())
    depth = max_depth if max_depth is not None else config.max_depth if config.max_depth is not None else 4
    roots = [str(graph_root)] if graph_root is not None else [str(p) for p in paths]
    result = scan_paths(roots, rules_dirs=tuple(rules or ()), select=_ids(select),
                        ignore=_ids(ignore), max_depth=depth, config=config)
    if graph_root is not None:
        result = only_in(result, paths)
    _, chosen = chosen_rules(config, tuple(rules or ()), _ids(select), _ids(ignore))
    text = FINDINGS_FORMATS[format.value](FindingsReport.of(result, chosen))
    write_report(text, output)
    threshold = fail_on.value if fail_on is not None else config.fail_on or "error"
    sys.exit(EXIT_FINDINGS if should_fail(result.findings, threshold) else EXIT_OK)  # typer.Exit is lost here
