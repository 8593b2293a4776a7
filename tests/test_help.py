"""Every command's help: plain metavars (no Python types such as ``<list[str]>`` or ``<bool>``, no
``{paths}`` in usage) and an example."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from workeradvisor.cli import app
from workeradvisor.commands.helpfmt import EXAMPLES

COMMANDS = ["analyze", "compare", "advise", "scan", "rules", "explain", "profile", "check", "load", "plan", "version"]


def help_of(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_plain_and_has_an_example(command: str) -> None:
    text = help_of(command)
    assert not re.search(r"<[a-z][\w\[\], |]*>", text), text  # <list[str]>, <bool>, <int range>
    assert "{" not in next(line for line in text.splitlines() if "Usage:" in line)
    assert "{target}" not in text  # --cmd's documented {host}/{port}/{workers} placeholders are fine
    assert f"Example: {EXAMPLES[command]}" in text
    assert EXAMPLES[command].startswith(f"workeradvisor {command}")


def test_every_command_has_an_example() -> None:
    text = help_of()
    listed = {m.group(1) for m in re.finditer(r"^│ (\w+) ", text, re.M)}
    assert listed == set(COMMANDS) == set(EXAMPLES)


def test_scan_help_names_types_plainly() -> None:
    text = help_of("scan")
    assert re.search(r"Usage: workeradvisor scan \[OPTIONS\] PATHS\.\.\.", text)
    assert re.search(r"--select\s+TEXT", text) and re.search(r"--format\s+-f\s+text\|json\|sarif\|markdown", text)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_example_parses(command: str) -> None:
    """The example's options exist and its arguments fit (parsed by the command, not run)."""
    import shlex

    import typer

    group = typer.main.get_command(app)
    words = shlex.split(EXAMPLES[command])[1:]
    ctx = group.make_context("workeradvisor", list(words))
    sub = group.get_command(ctx, words[0])
    assert sub is not None
    sub.make_context(words[0], words[1:], parent=ctx)  # raises on an unknown option or a missing argument
