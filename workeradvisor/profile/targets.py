"""Check a ``--pid`` target and find its workers (spawn children whose command line lacks "uvicorn")."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psutil

from workeradvisor.errors import PermissionDeniedError, TargetError
from workeradvisor.launch import find_worker_pids


def check_python_pid(pid: int) -> psutil.Process:
    """The process, or a one-line error: it does not exist, or it is not a Python interpreter."""
    if pid <= 0:
        raise TargetError(f"PID {pid} is not a valid process id")
    try:
        proc = psutil.Process(pid)
        status = proc.status()
    except psutil.NoSuchProcess:
        raise TargetError(f"no process with PID {pid}") from None
    except psutil.AccessDenied:
        raise PermissionDeniedError(f"not allowed to inspect PID {pid}: run as its user or as root") from None
    if status == psutil.STATUS_ZOMBIE:
        raise TargetError(f"PID {pid} has exited (zombie)")
    if not _looks_like_python(proc):
        raise TargetError(f"PID {pid} ({_describe(proc)}) is not a Python process")
    return proc


def _looks_like_python(proc: psutil.Process) -> bool:
    names: list[str] = []
    with contextlib.suppress(psutil.Error):
        names.append(proc.name())
    with contextlib.suppress(psutil.Error):
        names.append(Path(proc.exe()).name)
    with contextlib.suppress(psutil.Error):
        cmd = proc.cmdline()
        if cmd:
            names.append(Path(cmd[0]).name)
    if any("python" in n.lower() or n in ("uvicorn", "gunicorn", "hypercorn") for n in names):
        return True
    with contextlib.suppress(psutil.Error, OSError):  # an embedded interpreter: libpython is mapped
        return any("libpython" in m.path for m in proc.memory_maps(grouped=True))
    return False


def _describe(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return proc.name()
    return "unknown"


def workers_of(server_pid: int) -> list[int]:
    """Worker PIDs of a uvicorn/gunicorn supervisor, or the server itself when single-process.

    With ``--reload`` uvicorn's supervisor only watches files; the server is its child, and
    with ``--reload --workers`` there is no second level, so one level of children is enough.
    """
    return find_worker_pids(server_pid)


def reload_detected(server_pid: int) -> bool:
    """uvicorn ``--reload`` (its file watcher polls and costs CPU at idle), on the PID or its parent."""
    with contextlib.suppress(psutil.Error):
        proc = psutil.Process(server_pid)
        chain = [proc]
        parent = proc.parent()
        if parent is not None:
            chain.append(parent)
        for p in chain:
            with contextlib.suppress(psutil.Error):
                if "--reload" in p.cmdline():
                    return True
    return False
