"""Processes we start, we stop: every child (uvicorn, py-spy, load generators) goes through here.

Children are tracked by PID. ``stop_tree`` ends a process and all its descendants by PID
(SIGTERM, then SIGKILL after a grace period), never by name. A registry plus an ``atexit``
hook and a SIGTERM handler make sure nothing survives success, failure, timeout or Ctrl-C; and
``deathwatch`` (parent-death signal, own process group, a watchdog) makes sure nothing survives
our being SIGKILLed either. Each child has its own process group, so a terminal's Ctrl-C reaches
only us and we stop the children in order (they report partial results first).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence

import psutil

from workeradvisor import deathwatch

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
    """Start a child we own, in its own process group, dying with us (``deathwatch``).

    It is registered until ``release`` or interpreter exit. The parent-death signal is tied to
    the forking thread, so it is only set from the main thread (where every command spawns).
    """
    plain = list(argv)
    main = threading.current_thread() is threading.main_thread()
    tries = [deathwatch.trampoline_argv(plain), plain] if main and sys.platform == "linux" else [plain]
    for i, full in enumerate(tries):
        try:
            proc = subprocess.Popen(  # argv is built by us, never a shell string
                full, cwd=cwd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, process_group=0
            )
            break
        except OSError:  # our interpreter may not be executable by this user: the watchdog still covers
            if i == len(tries) - 1:
                raise
    deathwatch.watch_group(proc.pid)
    with _lock:
        _live[proc.pid] = proc
    return proc


def _unreaped(pid: int) -> bool:
    """Our child ``pid`` is running or a zombie: its PID (= its group id) cannot have been reused."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def release(proc: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Stop a child we spawned (its group and its descendants) and forget it."""
    if proc.returncode is None and _unreaped(proc.pid):
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGTERM)  # the whole group: orphaned grandchildren too
    stop_tree(proc.pid, grace_s)
    deathwatch.unwatch_group(proc.pid)
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


_terminated = False


def terminated() -> bool:
    """A SIGTERM arrived: the command's "interrupted" exit (130) becomes 143."""
    return _terminated


def install_signal_handlers() -> None:
    """SIGTERM behaves like Ctrl-C (a KeyboardInterrupt: partial results are reported), exit 143."""

    def _on_term(signum: int, frame: object) -> None:
        global _terminated
        if not _terminated:
            _terminated = True
            raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_term)


def _at_exit() -> None:
    stop_all()
    deathwatch.remove_own_files()


atexit.register(_at_exit)


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
