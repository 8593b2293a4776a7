# ruff: noqa: E402 - the imports follow the early signal handlers on purpose
"""Command-line wiring only: each command lives in ``workeradvisor/commands/``.

Every expected failure is a ``WorkerAdvisorError`` and becomes one line on stderr with its
documented exit code (see ``workeradvisor/errors.py``); Ctrl-C exits 130 and SIGTERM 143 after
the command has reported what it finished; a usage error is one line, exit 2.
"""

from __future__ import annotations

import os
import signal
import sys


def _early_signal(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM while the modules below are still importing: nothing started, nothing to
    report; exit 130 / 143 without an import traceback. ``main`` installs the real handlers."""
    os.write(2, b"workeradvisor: terminated\n" if signum == signal.SIGTERM else b"workeradvisor: interrupted\n")
    os._exit(128 + signum)


def _run_as_the_tool() -> bool:
    """The console script or ``python -m workeradvisor`` (not a test process importing this module)."""
    arg0 = sys.argv[0] if sys.argv else ""
    return os.path.basename(arg0) == "workeradvisor" or arg0.endswith(os.path.join("workeradvisor", "__main__.py"))


if _run_as_the_tool():
    signal.signal(signal.SIGINT, _early_signal)
    signal.signal(signal.SIGTERM, _early_signal)

import importlib

import typer  # after the early handlers: importing takes most of a short run's time

from workeradvisor import __version__, deathwatch, procs
from workeradvisor.commands.helpfmt import PlainGroup
from workeradvisor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, WorkerAdvisorError

app = typer.Typer(
    name="workeradvisor",
    help="How many uvicorn workers? Measured advice for async Python services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=PlainGroup,  # plain metavars and an example in every command's help (commands/helpfmt.py)
)


@app.callback()
def _root() -> None:
    """How many uvicorn workers? Measured advice for async Python services."""


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- command registration: name -> (module in workeradvisor/commands/, function); one line per command ---
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "analyze"),
    "compare": ("compare", "compare"),
    "advise": ("advise", "advise"),
    "scan": ("scan", "scan"),
    "rules": ("rules", "rules"),
    "explain": ("rules", "explain"),
    "profile": ("profile", "profile"),
    "check": ("check", "check"),
    "load": ("load", "load"),
    "plan": ("plan", "plan"),
}


def _register(names: list[str]) -> None:
    for name in names:
        module, function = COMMANDS[name]
        app.command(name)(getattr(importlib.import_module(f"workeradvisor.commands.{module}"), function))


def _commands_to_import() -> list[str]:
    """As the tool with a known command first (``workeradvisor scan ...``): only that command's module, so a
    pre-commit ``scan`` does not pay for importing the load engine, the profiler and every report (about half a
    second of a short run). Anything else (``--help``, a typo, tests importing ``app``): every command."""
    first = sys.argv[1] if _run_as_the_tool() and len(sys.argv) > 1 else ""
    return [first] if first in COMMANDS else list(COMMANDS)


_register(_commands_to_import())


def _exit(code: int) -> None:
    """Exit; an "interrupted" exit (130) after a SIGTERM is 143, like any well-behaved tool's."""
    if code == EXIT_INTERRUPTED and procs.terminated():
        code = EXIT_TERMINATED
    sys.exit(code)


def _interrupted() -> None:
    typer.echo("workeradvisor: terminated" if procs.terminated() else "workeradvisor: interrupted", err=True)
    _exit(EXIT_INTERRUPTED)


def _usage_error(exc: Exception) -> None:
    """click's usage errors (typer vendors click) as one line, exit 2; a bare call still shows help."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        exc.show()  # type: ignore[attr-defined]
        sys.exit(EXIT_USAGE)
    msg = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    typer.echo(f"workeradvisor: error: {msg} (see --help)", err=True)
    sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)) or EXIT_USAGE)


def main() -> None:
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        procs.install_signal_handlers()
        deathwatch.clean_stale()
        rc = app(standalone_mode=False)  # click returns the code of a raised typer.Exit here
        if rc == EXIT_INTERRUPTED:  # typer turns a KeyboardInterrupt the command let through into 130
            _interrupted()
        if isinstance(rc, int) and rc:
            _exit(rc)
    except WorkerAdvisorError as exc:
        typer.echo(f"workeradvisor: error: {exc}", err=True)
        _exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Exit as exc:
        _exit(exc.exit_code)
    except Exception as exc:  # click's usage errors and Abort (typer vendors click)
        if type(exc).__name__ == "Abort":
            _interrupted()
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            _usage_error(exc)
        if os.environ.get("WORKERADVISOR_DEBUG"):
            raise
        typer.echo(
            f"workeradvisor: internal error: {type(exc).__name__}: {exc} (set WORKERADVISOR_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    finally:
        procs.stop_all()
