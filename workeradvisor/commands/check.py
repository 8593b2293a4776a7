"""``workeradvisor check``: the pre-deploy gate over Dockerfiles, compose, Kubernetes, Procfile, systemd..."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from workeradvisor.check.analysis import load_analysis
from workeradvisor.check.engine import CheckReport, run_check
from workeradvisor.check.pools import default_limits
from workeradvisor.check.render import report_text, scan_errors
from workeradvisor.check.scanning import scan_tree
from workeradvisor.check.selection import check_rules, split_ids, validate
from workeradvisor.environment import detect_environment
from workeradvisor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from workeradvisor.jsonsafe import dumps  # never NaN/Infinity in the JSON we write
from workeradvisor.report import findings_json, findings_markdown, findings_text, github, sarif
from workeradvisor.rulebook import SEVERITIES, Rule, load_rules
from workeradvisor.scan.config import ScanConfig, load_config

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


def _shown(report: CheckReport) -> list[dict[str, Any]]:
    """Inventory rows as people read them (``1 (default)``, ``512Mi``) for Markdown and summaries."""
    return [{**{k: row.display(k) for k in row.to_dict() if k not in ("reload", "production", "notes")},
             "reload": row.reload} for row in report.inventory]


def render(report: CheckReport, fmt: str, rules: dict[str, Rule]) -> str:
    """Findings through the shared renderers (same shapes as ``scan``), plus what each file configures."""
    common: dict[str, Any] = {"errors": scan_errors(report), "files_scanned": len(report.files)}
    inventory = [r.to_dict() for r in report.inventory]
    if fmt == "json":
        doc = findings_json.document(report.findings, rules, summary={}, **common)
        doc.update(inventory=inventory, parse_errors=_errors(report), notes=list(report.notes))
        return dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        return sarif.render(report.findings, rules, source_root=sarif.repository_root([report.root]), kind="check",
                            notes=report.notes, **common)
    if fmt == "markdown":
        notes = "".join(f"\n> note: {n}\n" for n in report.notes)
        return (findings_markdown.render(report.findings, rules, title="workeradvisor check", **common)
                + "\n" + github.inventory_markdown(_shown(report)) + notes)
    if fmt == "github":
        return github.render_annotations(report.findings, _errors(report), notes=report.notes)
    return report_text(report, findings_text.render(report.findings, rules, **common))


def _rules_and_config(select: list[str] | None, ignore: list[str] | None
                      ) -> tuple[ScanConfig, dict[str, Rule], tuple[str, ...], tuple[str, ...]]:
    """pyproject's ``[tool.workeradvisor]`` plus the command line: --select replaces, --ignore adds."""
    config = load_config(Path.cwd())
    everything = load_rules(config.rules_dirs)
    cli_select, cli_ignore = split_ids(select), split_ids(ignore)
    validate((*cli_select, *cli_ignore), everything, "--select/--ignore")
    validate((*config.select, *config.ignore), everything, "[tool.workeradvisor]")
    chosen_select, chosen_ignore = cli_select or config.select, (*config.ignore, *cli_ignore)
    shown = check_rules(everything, chosen_select, chosen_ignore)
    return config, shown, tuple(chosen_select), tuple(chosen_ignore)


def check(
    path: Annotated[Path, typer.Argument(help="Repository or directory (or one file) to check.")] = Path("."),
    analysis: Annotated[Path | None, typer.Option("--analysis", help="Saved `analyze` JSON to compare with.")] = None,
    target_ccu: Annotated[int | None, typer.Option("--target-ccu", min=1, help="Concurrent users to plan for.")] = None,
    node_cpus: Annotated[float | None, typer.Option(
        "--node-cpus", min=0.001, help="CPUs of one node for the CPU-request sum (default: this machine).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="|".join(FORMATS), help="Output format.")] = "text",
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="|".join(FAIL_ON),
        help="Exit 1 on findings at or above this severity (default: error, or pyproject's fail-on).")] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these check rules (ids or prefixes, comma separated; replaces pyproject's).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these rules (ids or prefixes, comma separated; adds to pyproject's).")] = None,
    no_scan: Annotated[bool, typer.Option("--no-scan", help="Skip the code scan (sync endpoints, executors).")] = False,
    db_max_connections: Annotated[int | None, typer.Option(
        "--db-max-connections", min=1, help="The database's connection limit for WA520 (default: PostgreSQL's "
        "100).")] = None,
    redis_max_clients: Annotated[int | None, typer.Option(
        "--redis-max-clients", min=1, help="Redis maxclients for WA520 (default: Redis's 10000).")] = None,
) -> None:
    """Check deployment files against the CPU/memory limits and the evidence; fail the build when wrong.

    Silence one finding with `# workeradvisor: ignore[WA506]` on its line or the line above.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    config, rules, chosen_select, chosen_ignore = _rules_and_config(select, ignore)
    saved = load_analysis(analysis) if analysis is not None else None
    scan, scan_note = (None, "") if no_scan else scan_tree(path, config)
    report = run_check(path, load_rules(config.rules_dirs), lambda: detect_environment().cores, analysis=saved,
                       scan=scan, target_ccu=target_ccu, node_cpus=node_cpus, select=chosen_select,
                       ignore=chosen_ignore, pool_limits=default_limits(db_max_connections, redis_max_clients))
    if scan_note:
        report = dataclasses.replace(report, notes=report.notes + (scan_note,))
    code = exit_code(report, fail_on or config.fail_on or "error")
    for problem in report.problems:
        typer.echo(f"workeradvisor: error: {problem}", err=True)
    typer.echo(render(report, fmt, rules), nl=False)
    if fmt == "github":
        github.append_step_summary(github.summary_markdown("workeradvisor check", report.findings, _shown(report),
                                                           _errors(report), code != EXIT_OK, notes=report.notes))
    sys.exit(code)  # not typer.Exit: with standalone_mode=False click returns its code and it would be lost
