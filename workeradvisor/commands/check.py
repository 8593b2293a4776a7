"""``workeradvisor check``: the pre-deploy gate over Dockerfiles, compose, Kubernetes, Procfile, systemd..."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from workeradvisor import procs
from workeradvisor.check.analysis import load_analysis
from workeradvisor.check.engine import CheckReport, run_check
from workeradvisor.check.render import report_text, scan_errors
from workeradvisor.check.scanning import scan_tree
from workeradvisor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from workeradvisor.report import findings_json, findings_markdown, findings_text, github, sarif
from workeradvisor.rulebook import SEVERITIES, load_rules

FORMATS = ("text", "json", "sarif", "markdown", "github")
FAIL_ON = (*SEVERITIES, "never")


def exit_code(report: CheckReport, fail_on: str) -> int:
    """1 when a finding is at or above --fail-on; else 2 when a file could not be parsed; else 0."""
    if fail_on != "never":
        limit = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f.severity) <= limit for f in report.findings):
            return EXIT_FINDINGS
    return EXIT_USAGE if report.problems else EXIT_OK


def _errors(report: CheckReport) -> list[dict[str, object]]:
    return [{"path": p.path, "line": p.line, "message": p.message} for p in report.problems]


def render(report: CheckReport, fmt: str, failed: bool) -> str:
    """Findings through the shared renderers (same shapes as ``scan``), plus what each file configures."""
    rules = {rid: rule for rid, rule in load_rules().items() if rid.startswith("WA5")}
    common: dict[str, Any] = {"errors": scan_errors(report), "files_scanned": len(report.files)}
    inventory = [r.to_dict() for r in report.inventory]
    if fmt == "json":
        doc = findings_json.document(report.findings, rules, summary={}, **common)
        doc.update(inventory=inventory, parse_errors=_errors(report), notes=list(report.notes))
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        return sarif.render(report.findings, rules, source_root=sarif.repository_root([report.root]), kind="check",
                            **common)
    if fmt == "markdown":
        return (findings_markdown.render(report.findings, rules, title="workeradvisor check", **common)
                + "\n" + github.inventory_markdown(inventory))
    if fmt == "github":
        return github.render_annotations(report.findings, _errors(report))
    return report_text(report, findings_text.render(report.findings, rules, **common))


def check(
    path: Annotated[Path, typer.Argument(help="Repository or directory (or one file) to check.")] = Path("."),
    analysis: Annotated[Path | None, typer.Option("--analysis", help="Saved `analyze` JSON to compare with.")] = None,
    target_ccu: Annotated[int | None, typer.Option("--target-ccu", min=1, help="Concurrent users to plan for.")] = None,
    node_cpus: Annotated[float | None, typer.Option(
        "--node-cpus", min=0.001, help="CPUs of one node for the CPU-request sum (default: this machine).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json | sarif | markdown | github")] = "text",
    fail_on: Annotated[str, typer.Option("--fail-on", help="error | warning | info | never")] = "error",
    no_scan: Annotated[bool, typer.Option("--no-scan", help="Skip the code scan (sync endpoints, executors).")] = False,
) -> None:
    """Check deployment files against the CPU/memory limits and the evidence; fail the build when wrong."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    saved = load_analysis(analysis) if analysis is not None else None
    scan, scan_note = (None, "") if no_scan else scan_tree(path)
    report = run_check(path, load_rules(), procs.this_process_cpu_count, analysis=saved, scan=scan,
                       target_ccu=target_ccu, node_cpus=node_cpus)
    if scan_note:
        report = CheckReport(report.root, report.files, report.inventory, report.findings, report.problems,
                             report.notes + (scan_note,))
    code = exit_code(report, fail_on)
    for problem in report.problems:
        typer.echo(f"workeradvisor: error: {problem}", err=True)
    typer.echo(render(report, fmt, code != EXIT_OK), nl=False)
    if fmt == "github":
        github.append_step_summary(github.summary_markdown("workeradvisor check", report.findings,
                                                           [r.to_dict() for r in report.inventory],
                                                           _errors(report), code != EXIT_OK))
    sys.exit(code)  # not typer.Exit: with standalone_mode=False click returns its code and it would be lost
