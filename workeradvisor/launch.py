"""Start an ASGI app (uvicorn, gunicorn + UvicornWorker, or the user's own ``--cmd``) on 127.0.0.1,
wait until it answers, stop it by PID; or reach one already running (``attach``).

Shared by ``profile``, ``load`` and ``analyze``. ``TARGET`` is ``path/to/file.py:app`` or
``package.module:app``. The app is never imported by workeradvisor itself: the server imports it
in its own child process, under the project's interpreter (``launchmodes.find_python``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil

from workeradvisor import deathwatch, procs, procstat
from workeradvisor.errors import TargetError, UsageError
from workeradvisor.launchmodes import LaunchSpec, check_module, fill, find_python, server_argv


@dataclass(frozen=True)
class AppTarget:
    module: str  # "pkg.mod:app" form for uvicorn
    app_dir: str  # directory uvicorn puts on sys.path
    source: Path  # file or package directory holding the app's source (for scan)


@dataclass(frozen=True)
class RunningServer:
    pid: int  # the server's root: uvicorn (the supervisor when workers > 1), the gunicorn master, or the
    # process holding the listening socket for --cmd / attach
    port: int
    workers: int
    base_url: str
    stderr_path: str
    mode: str = "uvicorn"  # uvicorn | gunicorn | cmd | attach
    python: str = ""  # the interpreter the server runs under ("" when not ours to say: --cmd, attach)

    def worker_pids(self) -> list[int]:
        """Worker processes (spawn children when workers > 1; else the server itself)."""
        return find_worker_pids(self.pid)


def parse_target(target: str, app_dir: str | None = None) -> AppTarget:
    if ":" not in target:
        raise UsageError(f"target {target!r} must look like path/to/file.py:app or package.module:app")
    left, attr = target.rsplit(":", 1)
    if not attr.isidentifier():
        raise UsageError(f"target {target!r}: {attr!r} is not a Python identifier")
    if left.endswith(".py"):
        path = Path(left).resolve()
        if not path.is_file():
            raise UsageError(f"target file not found: {left}")
        base = Path(app_dir).resolve() if app_dir else path.parent
        try:
            rel = path.with_suffix("").relative_to(base)
        except ValueError:
            raise UsageError(f"{left} is not inside --app-dir {app_dir}") from None
        return AppTarget(f"{'.'.join(rel.parts)}:{attr}", str(base), path)
    base = Path(app_dir or ".").resolve()
    mod_path = base.joinpath(*left.split("."))
    source = mod_path if mod_path.is_dir() else mod_path.with_suffix(".py")
    return AppTarget(f"{left}:{attr}", str(base), source)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


find_worker_pids = procstat.worker_pids  # one worker discovery, shared with load and profile


def _stderr_tail(path: str, lines: int = 8) -> str:
    with contextlib.suppress(OSError):
        text = Path(path).read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])
    return ""


def _launch_argv(launch: LaunchSpec, target: str | None, app_dir: str | None, port: int,
                 workers: int) -> tuple[list[str], str, str, dict[str, str]]:
    """(argv, cwd, interpreter, environment) for one launch; the server package is checked first."""
    env = launch.environ()
    if launch.mode == "cmd":
        assert launch.cmd is not None
        if launch.python:  # the venv's own scripts (datasette, fastapi, gunicorn) come first on PATH
            venv_bin = str(Path(launch.python).parent)
            env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
            env["VIRTUAL_ENV"] = str(Path(venv_bin).parent)
        cwd = parse_target(target, app_dir).app_dir if target else os.getcwd()
        return fill(launch.cmd, "127.0.0.1", port, workers), cwd, launch.python or "", env
    if target is None:
        raise UsageError("give TARGET (path/to/file.py:app) or --cmd")
    app = parse_target(target, app_dir)
    python = launch.python or find_python(app.source)[0]
    check_module(python, launch.server, env=env)
    if launch.server == "gunicorn":
        check_module(python, "uvicorn", env=env)  # the worker class lives in uvicorn.workers
    return server_argv(launch, python, app.module, app.app_dir, port, workers), app.app_dir, python, env


@contextlib.contextmanager
def serve(
    target: str | None,
    *,
    app_dir: str | None = None,
    workers: int = 1,
    port: int | None = None,
    ready_timeout_s: float = 30.0,
    health_path: str = "/",
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    launch: LaunchSpec | None = None,
) -> Iterator[RunningServer]:
    """Run ``target`` (or ``launch.cmd``) for the duration of the ``with`` block; attach when ``launch.url``."""
    launch = launch or LaunchSpec()
    if launch.mode == "attach":
        yield attach(launch)
        return
    port = port or free_port()
    argv, cwd, python, child_env = _launch_argv(launch, target, app_dir, port, workers)
    if env:
        child_env.update(env)
    argv += list(extra_args)
    err = tempfile.NamedTemporaryFile(prefix=deathwatch.temp_prefix("server"), suffix=".log", delete=False)
    proc = procs.spawn(argv, cwd=cwd, env=child_env, stderr=err.fileno())
    err.close()
    try:
        server = RunningServer(proc.pid, port, workers, f"http://127.0.0.1:{port}", err.name, launch.mode, python)
        if launch.mode == "cmd":
            server = replace(server, pid=_wait_listening(proc, server, ready_timeout_s))
        server = _wait_ready(proc, server, health_path, ready_timeout_s)
        yield server
    finally:
        procs.release(proc)
        with contextlib.suppress(OSError):
            Path(err.name).unlink()


def _listeners(pids: list[int], port: int) -> list[int]:
    """Those of ``pids`` with a TCP socket listening on ``port``."""
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            conns = psutil.Process(pid).net_connections(kind="tcp")
            if any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in conns):
                found.append(pid)
    return found


def server_root(listening: list[int]) -> int | None:
    """The listener whose parent does not listen too: the supervisor/master, or the only process."""
    pids = set(listening)
    for pid in sorted(pids):
        with contextlib.suppress(psutil.Error):
            if psutil.Process(pid).ppid() not in pids:
                return pid
    return min(pids) if pids else None


def _tree_root(pid: int, port: int) -> int | None:
    """The server root among ``pid`` and its descendants listening on ``port`` (None: none yet)."""
    with contextlib.suppress(psutil.Error):
        tree = [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]
        return server_root(_listeners(tree, port))
    return None


def _wait_listening(proc: subprocess.Popen[bytes], server: RunningServer, timeout_s: float) -> int:
    """``--cmd``: poll the port until a process of the launched tree listens on it; that is the server."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise TargetError(f"--cmd exited with code {proc.returncode} before listening on port {server.port}: "
                              f"{_stderr_tail(server.stderr_path)}")
        root = _tree_root(proc.pid, server.port)
        if root is not None:
            return root
        time.sleep(0.1)
    raise TargetError(f"--cmd did not listen on 127.0.0.1:{server.port} within {timeout_s:.0f}s (does it use "
                      f"{{port}} and {{host}}?): {_stderr_tail(server.stderr_path)}")


def attach(launch: LaunchSpec) -> RunningServer:
    """A running server at ``launch.url``; its PID from ``--pid`` or from the listening socket."""
    assert launch.url is not None
    url = httpx.URL(launch.url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.host, port), timeout=5.0).close()
    except OSError as exc:
        raise TargetError(f"nothing answers at {launch.url}: {exc.strerror or exc}") from None
    pid = launch.pid
    if pid is None:
        try:
            listening = [c.pid for c in psutil.net_connections(kind="tcp")
                         if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid]
        except psutil.AccessDenied:
            listening = []
        pid = server_root(listening)
        if pid is None:
            raise TargetError(f"no process of this user listens on port {port}; give --pid (for a container, the "
                              "PID the host sees: docker inspect -f '{{.State.Pid}}' NAME)")
        if not _is_python(pid):  # docker-proxy, nginx, a port-forward: not the server to profile
            raise TargetError(f"the process listening on port {port} (pid {pid}, {_name(pid)}) is not Python; give "
                              "--pid (for a container, the PID the host sees: docker inspect -f '{{.State.Pid}}' NAME)")
    if not psutil.pid_exists(pid):
        raise TargetError(f"--pid {pid}: no such process")
    workers = len([w for w in find_worker_pids(pid) if w != pid]) or 1
    base = str(url.copy_with(query=None, fragment=None)).rstrip("/")  # a path prefix stays (/api/v1)
    return RunningServer(pid, port, workers, base, "", "attach", "")


def _name(pid: int) -> str:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).name()
    return "?"


def _is_python(pid: int) -> bool:
    with contextlib.suppress(psutil.Error):
        p = psutil.Process(pid)
        return "python" in p.name().lower() or "python" in os.path.basename(p.exe()).lower()
    return True  # unreadable: let the profile step say what it can


def _wait_ready(proc: subprocess.Popen[bytes], server: RunningServer, path: str, timeout_s: float) -> RunningServer:
    """Until the server answers ``path`` and all its workers are up; ``--cmd``'s root is re-read each
    time (a supervisor whose sockets were unreadable for a moment must not leave a worker as root)."""
    deadline = time.monotonic() + timeout_s
    answered = False
    with httpx.Client(timeout=2.0, trust_env=False) as client:  # never via HTTP(S)_PROXY: loopback only
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = _stderr_tail(server.stderr_path)
                raise TargetError(f"app exited with code {proc.returncode} before answering: {tail}")
            try:
                client.get(server.base_url + path)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            answered = True
            if server.mode == "cmd":
                server = replace(server, pid=_tree_root(proc.pid, server.port) or server.pid)
            if not _workers_up(server):
                time.sleep(0.1)
                continue
            return server
    if answered:
        found = [w for w in find_worker_pids(server.pid) if w != server.pid]
        raise TargetError(f"the server answered, but {server.workers} worker(s) did not start within {timeout_s:.0f}s "
                          f"(pid {server.pid} has {len(found)}): {_stderr_tail(server.stderr_path)}")
    raise TargetError(
        f"app did not answer on {server.base_url} within {timeout_s:.0f}s: {_stderr_tail(server.stderr_path)}"
    )


def _workers_up(server: RunningServer) -> bool:
    """All workers forked: uvicorn's supervisor (or gunicorn's master, even for one worker) has its children."""
    found = find_worker_pids(server.pid)
    if server.mode == "gunicorn":
        return server.pid not in found and len(found) >= server.workers
    return server.workers <= 1 or len(found) >= server.workers
