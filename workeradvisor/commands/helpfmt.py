"""Plain help for every command, in one place (cli.py passes ``PlainGroup`` to typer).

Why: typer 0.29's rich help prints Python types as metavars (``<list[str]>``, ``<bool>`` on flags,
``{paths}`` in usage). Users of ruff, hadolint and Locust read ``--select TEXT``, ``--format
text|json`` and ``PATHS...``. ``PlainGroup`` rewrites each command's parameters when the command
is resolved (so no command module needs to change) and adds an example to every command's help.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import _click as click  # typer vendors click; its Command/Context are the ones used here
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

EXAMPLES = {
    "analyze": "workeradvisor analyze app/main.py:app --ccu 10,30,60 --workers 1,2",
    "compare": "workeradvisor compare app/main.py:app --workers 1,2,4",
    "advise": "workeradvisor advise --scan scan.json --profile profile.json --load load.json",
    "scan": "workeradvisor scan src --format sarif -o workeradvisor-scan.sarif",
    "rules": "workeradvisor rules",
    "explain": "workeradvisor explain WA101",
    "profile": "workeradvisor profile --app app/main.py:app --duration 5",
    "check": "workeradvisor check . --ignore WA506 --format github",
    "load": "workeradvisor load http://127.0.0.1:8000/ --ccu 10,50 --stage-seconds 5",
    "plan": "workeradvisor plan analysis.json --target-rps 500 --cores 2 --memory 2Gi",
    "version": "workeradvisor version",
}
_NAMES = {int: "INTEGER", float: "FLOAT", str: "TEXT", bool: "BOOLEAN", Path: "PATH"}


def _label(annotation: Any) -> str:
    if get_origin(annotation) is list:
        return _label(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "|".join(str(m.value) for m in annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if args:  # X | None
        return _label(args[0])
    return _NAMES.get(annotation, "VALUE")


def plain_type(param: TyperArgument | TyperOption) -> str | None:
    """``TEXT``, ``PATH``, ``text|json``; None for flags (they take no value)."""
    if isinstance(param, TyperOption) and param.is_flag:
        return None
    desc = param.type_descriptor
    if desc.is_choice and desc.choices is not None:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices)
    if desc.is_path:
        return "PATH"
    return _label(desc.annotation)


class PlainArgument(TyperArgument):
    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self.display_name_raw.upper() + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None  # the name column already says PATHS...; the type would repeat it

    def display_type(self, ctx: click.Context) -> str:
        return plain_type(self) or ""


class PlainOption(TyperOption):
    def display_type(self, ctx: click.Context) -> str:
        return plain_type(self) or ""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        if self.metavar is not None:
            return self.metavar
        label = plain_type(self)
        if label is None:
            return None
        return label + ("..." if self.nargs != 1 else "")


def _plain_help_option(option: TyperOption | None) -> TyperOption | None:
    if type(option) is TyperOption:
        option.__class__ = PlainOption
    return option


class PlainCommand(TyperCommand):
    def get_help_option(self, ctx: click.Context) -> TyperOption | None:
        return _plain_help_option(super().get_help_option(ctx))


def plain(command: click.Command) -> click.Command:
    """Swap in the plain parameter classes and add the command's example (idempotent)."""
    if type(command) is TyperCommand:
        command.__class__ = PlainCommand
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is TyperOption:
            param.__class__ = PlainOption
    example = EXAMPLES.get(command.name or "")
    if example and not command.epilog:
        command.epilog = f"Example: {example}"
    return command


class PlainGroup(TyperGroup):
    """The root group: every subcommand it resolves gets plain metavars and an example."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return plain(command) if command is not None else None

    def get_help_option(self, ctx: click.Context) -> TyperOption | None:
        return _plain_help_option(super().get_help_option(ctx))
