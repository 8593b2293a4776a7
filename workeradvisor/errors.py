"""Exit codes and the one error type every command turns into a one-line message.

Exit codes (documented in README.md):
  0  success / clean
  1  findings at or above --fail-on (scan, check)
  2  usage or configuration error (bad flag, malformed rule file, bad YAML spec)
  3  target error: the app failed to start, refused connections, or died
  4  permission error: ptrace not permitted, unreadable process
  5  tool missing: py-spy or another required executable not found
  70  internal error (a bug in workeradvisor; one line, traceback with WORKERADVISOR_DEBUG=1)
  130 interrupted (Ctrl-C); partial results are still reported
  143 terminated (SIGTERM); handled like Ctrl-C: partial results are still reported
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_PERMISSION = 4
EXIT_TOOL_MISSING = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class WorkerAdvisorError(Exception):
    """An expected failure: reported as one line on stderr with ``exit_code``."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(WorkerAdvisorError):
    exit_code = EXIT_USAGE


class ConfigError(WorkerAdvisorError):
    """A malformed rule file, decision file or request spec."""

    exit_code = EXIT_USAGE


class TargetError(WorkerAdvisorError):
    """The server under test failed to start, refused connections or died."""

    exit_code = EXIT_TARGET


class PermissionDeniedError(WorkerAdvisorError):
    exit_code = EXIT_PERMISSION


class ToolMissingError(WorkerAdvisorError):
    exit_code = EXIT_TOOL_MISSING
