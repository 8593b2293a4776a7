"""Entry point of a generator process, started isolated by ``child_argv`` (``python -I -c ...``).

Talks to the parent with JSON lines on stdout: ``measure`` when warm-up ends, ``progress``
twice a second, one ``result`` (histogram encoded) at the end. SIGINT/SIGTERM end the stage
early with a partial result; a dead parent does too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import workeradvisor
from workeradvisor.load.generator import Generator

# Isolated (-I): neither the working directory nor PYTHON* variables can shadow workeradvisor or the
# stdlib. The directory holding *this* workeradvisor is appended (after the stdlib and site-packages)
# so a source checkout that is not installed still works.
_CHILD = ("import sys; sys.path.append({root!r}); from workeradvisor.load.child import main; "
          "sys.exit(main(sys.argv[1:]))")


def child_argv(config_path: str) -> list[str]:
    """How the parent starts this module."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(workeradvisor.__file__)))
    return [sys.executable, "-I", "-c", _CHILD.format(root=root), config_path]


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _main(cfg: dict[str, Any]) -> dict[str, Any]:
    gen = Generator(cfg, _emit)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, gen.interrupt)
    parent = os.getppid()
    crash: list[str] = []

    def on_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # A bug in the engine must end the stage loudly, not leave a virtual user silently dead.
        exc = context.get("exception")
        crash.append(f"{type(exc).__name__}: {exc}" if exc else str(context.get("message")))
        gen.interrupt()

    loop.set_exception_handler(on_error)

    async def watch_parent() -> None:
        while True:
            await asyncio.sleep(0.5)
            if os.getppid() != parent:
                gen.interrupt()

    watcher = asyncio.ensure_future(watch_parent())
    try:
        result = await gen.run()
    finally:
        watcher.cancel()
    if crash:
        result["crash"] = crash[0]
    return result


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as fh:
        cfg = json.load(fh)
    runner: Callable[[Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]] = asyncio.run
    with contextlib.suppress(ImportError):  # uvloop is a dependency on Linux
        import uvloop

        runner = uvloop.run
    _emit(runner(_main(cfg)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
