"""analyze, compare and advise declare their decision flags once (commands/options.py), so they cannot drift."""

from __future__ import annotations

import dataclasses

import typer.main

from workeradvisor.cli import app
from workeradvisor.commands.options import DecisionFlags


def _options(name: str) -> dict[str, object]:
    cmd = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return {opt: p for p in cmd.params for opt in getattr(p, "opts", [])}


def test_the_three_commands_share_every_decision_flag_with_the_same_help_and_default() -> None:
    flags = ["--target-rps", "--target-ccu", "--p99-slo", "--threshold", "--decision", "--downstream", "--cores",
             "--memory", "--no-refactor", "--format", "--output"]
    assert len(flags) == len(dataclasses.fields(DecisionFlags))  # one flag per field, none forgotten
    seen = {name: _options(name) for name in ("analyze", "compare", "advise")}
    for flag in flags:
        params = [seen[name][flag] for name in seen]
        assert all(p.help == params[0].help and p.default == params[0].default for p in params), flag


def test_compare_plans_for_the_given_cores_and_memory() -> None:
    flags = DecisionFlags(cores=8, memory="2G")
    env = flags.environment()
    assert env.cores == 8 and env.memory_limit_bytes == 2 << 30
