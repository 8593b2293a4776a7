"""Processes we start, we stop: every child (uvicorn, py-spy, load generators) goes through here.

Children are tracked by PID. ``stop_tree`` ends a process and all its descendants by PID
(SIGTERM, then SIGKILL after a grace period), never by name. A registry plus an ``atexit``
hook and a SIGTERM handler make sure nothing survives success, failure, timeout or Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence

import psutil

_live: dict[int, subprocess.Popen[bytes]] = {}
_lock = threading.Lock()


def stop_tree(pid: int, grace_s: float = 5.0) -> None:
    """Terminate ``pid`` and every descendant, by PID. Safe on already-dead processes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace_s)


def spawn(
    argv: Sequence[str],
    *,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
    stdout: int | None = subprocess.DEVNULL,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start a child we own; it is registered until ``release`` or interpreter exit."""
    proc = subprocess.Popen(  # argv is built by us, never a shell string
        list(argv), cwd=cwd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
    )
    with _lock:
        _live[proc.pid] = proc
    return proc


def release(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop a child we spawned (and its descendants) and forget it."""
    stop_tree(proc.pid, grace_s)
    with contextlib.suppress(Exception):
        proc.wait(timeout=grace_s)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()
    with _lock:
        _live.pop(proc.pid, None)


@contextlib.contextmanager
def owned(argv: Sequence[str], **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    """``with owned([...]) as proc:`` starts a child and always stops it on the way out."""
    proc = spawn(argv, **kwargs)  # type: ignore[arg-type]
    try:
        yield proc
    finally:
        release(proc)


def stop_all() -> None:
    with _lock:
        procs = list(_live.values())
    for proc in procs:
        release(proc, grace_s=2.0)


def install_signal_handlers() -> None:
    """Turn SIGTERM into SystemExit so ``finally`` blocks (and our cleanup) run."""

    def _on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_term)


atexit.register(stop_all)


def pid_alive(pid: int) -> bool:
    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def this_process_cpu_count() -> int:
    """Cores this process may really use: the one cgroup-aware count (``environment.cpu_count``)."""
    from workeradvisor.environment import cpu_count

    return cpu_count()
