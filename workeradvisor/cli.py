"""Command-line wiring only: each command lives in ``workeradvisor/commands/``.

Every expected failure is a ``WorkerAdvisorError`` and becomes one line on stderr with its
documented exit code (see ``workeradvisor/errors.py``); Ctrl-C exits 130 after the command
has reported what it finished.
"""

from __future__ import annotations

import os
import sys

import typer

from workeradvisor import __version__, procs
from workeradvisor.commands import advise as advise_cmd
from workeradvisor.commands import analyze as analyze_cmd
from workeradvisor.commands import check as check_cmd
from workeradvisor.commands import compare as compare_cmd
from workeradvisor.commands import load as load_cmd
from workeradvisor.commands import profile as profile_cmd
from workeradvisor.commands import rules as rules_cmd
from workeradvisor.commands import scan as scan_cmd
from workeradvisor.commands.helpfmt import PlainGroup
from workeradvisor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, WorkerAdvisorError

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


# --- command registration (one line per command module) ---
app.command("analyze")(analyze_cmd.analyze)
app.command("compare")(compare_cmd.compare)
app.command("advise")(advise_cmd.advise)
app.command("scan")(scan_cmd.scan)
app.command("rules")(rules_cmd.rules)
app.command("explain")(rules_cmd.explain)
app.command("profile")(profile_cmd.profile)
app.command("check")(check_cmd.check)
app.command("load")(load_cmd.load)


def main() -> None:
    procs.install_signal_handlers()
    try:
        rc = app(standalone_mode=False)  # click returns the code of a raised typer.Exit here
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except WorkerAdvisorError as exc:
        typer.echo(f"workeradvisor: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("workeradvisor: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's usage errors (typer vendors click) and Abort
        if type(exc).__name__ == "Abort":
            typer.echo("workeradvisor: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("WORKERADVISOR_DEBUG"):
            raise
        typer.echo(
            f"workeradvisor: internal error: {type(exc).__name__}: {exc} (set WORKERADVISOR_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    finally:
        procs.stop_all()
