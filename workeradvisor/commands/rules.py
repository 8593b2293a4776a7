"""``workeradvisor rules`` lists the scanner rules; ``workeradvisor explain WA101`` prints one rule's docs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.errors import UsageError
from workeradvisor.rulebook import load_rules
from workeradvisor.scan.config import load_config
from workeradvisor.scan.docgen import rules_markdown
from workeradvisor.scan.engine import scan_rules


def rules(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the docs/rules.md page, not a table.")] = False,
    rules_dir: Annotated[list[Path] | None, typer.Option("--rules", help="Extra directory of rule YAML files.")] = None,
) -> None:
    """List the scanner rules (id, severity, category, name)."""
    config = load_config(Path.cwd())
    found = scan_rules([*config.rules_dirs, *(rules_dir or ())])
    if markdown:
        typer.echo(rules_markdown(found), nl=False)
        return
    for r in sorted(found.values(), key=lambda r: r.id):
        typer.echo(f"{r.id}  {r.severity:<7}  {r.category:<19}  {r.name}")


def explain(
    rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. WA101.")],
    rules_dir: Annotated[list[Path] | None, typer.Option("--rules", help="Extra directory of rule YAML files.")] = None,
) -> None:
    """Print one rule's documentation, message and fix."""
    config = load_config(Path.cwd())
    found = load_rules([*config.rules_dirs, *(rules_dir or ())])
    rule = found.get(rule_id.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule {rule_id!r} (see `workeradvisor rules`)")
    typer.echo(f"{rule.id} {rule.name} ({rule.category}, {rule.severity})\n")
    typer.echo(rule.docs.strip() + "\n")
    typer.echo(f"Message: {rule.message}")
    typer.echo(f"Fix: {rule.fix}")
