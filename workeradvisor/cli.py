"""Command-line wiring only: each command lives in ``workeradvisor/commands/``.

Every expected failure is a ``WorkerAdvisorError`` and becomes one line on stderr with its
documented exit code (see ``workeradvisor/errors.py``); Ctrl-C exits 130 after the command
has reported what it finished.
"""

from __future__ import annotations

import sys

import typer

from workeradvisor import __version__, procs
from workeradvisor.errors import EXIT_INTERRUPTED, WorkerAdvisorError

app = typer.Typer(
    name="workeradvisor",
    help="How many uvicorn workers? Measured advice for async Python services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """How many uvicorn workers? Measured advice for async Python services."""


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- command registration (one line per command module) ---


def main() -> None:
    procs.install_signal_handlers()
    try:
        app(standalone_mode=False)
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
        raise
    finally:
        procs.stop_all()
