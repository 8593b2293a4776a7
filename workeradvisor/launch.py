"""Start an ASGI app under real uvicorn on 127.0.0.1, wait until it answers, stop it by PID.

Shared by ``profile``, ``load`` and ``analyze``. ``TARGET`` is ``path/to/file.py:app`` or
``package.module:app``. The app is never imported by workeradvisor itself: uvicorn imports it
in its own child process.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from workeradvisor import deathwatch, procs, procstat
from workeradvisor.errors import TargetError, UsageError


@dataclass(frozen=True)
class AppTarget:
    module: str  # "pkg.mod:app" form for uvicorn
    app_dir: str  # directory uvicorn puts on sys.path
    source: Path  # file or package directory holding the app's source (for scan)


@dataclass(frozen=True)
class RunningServer:
    pid: int  # the process we started (uvicorn; the supervisor when workers > 1)
    port: int
    workers: int
    base_url: str
    stderr_path: str

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


@contextlib.contextmanager
def serve(
    target: str,
    *,
    app_dir: str | None = None,
    workers: int = 1,
    port: int | None = None,
    ready_timeout_s: float = 30.0,
    health_path: str = "/",
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Run ``target`` under uvicorn for the duration of the ``with`` block."""
    app = parse_target(target, app_dir)
    port = port or free_port()
    # -P: nothing in the working directory shadows uvicorn or the stdlib; the environment (and any
    # PYTHONPATH the app needs) passes through, and uvicorn puts --app-dir on sys.path for the app.
    argv = [sys.executable, "-P", "-m", "uvicorn", app.module, "--host", "127.0.0.1", "--port", str(port),
            "--app-dir", app.app_dir, "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        argv += ["--workers", str(workers)]
    argv += list(extra_args)
    err = tempfile.NamedTemporaryFile(prefix=deathwatch.temp_prefix("uvicorn"), suffix=".log", delete=False)
    proc = procs.spawn(argv, cwd=app.app_dir, env=env, stderr=err.fileno())
    err.close()
    try:
        server = RunningServer(proc.pid, port, workers, f"http://127.0.0.1:{port}", err.name)
        _wait_ready(proc, server, health_path, ready_timeout_s)
        yield server
    finally:
        procs.release(proc)
        with contextlib.suppress(OSError):
            Path(err.name).unlink()


def _wait_ready(proc: subprocess.Popen[bytes], server: RunningServer, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
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
            if server.workers > 1 and len(find_worker_pids(server.pid)) < server.workers:
                time.sleep(0.1)
                continue
            return
    raise TargetError(
        f"app did not answer on {server.base_url} within {timeout_s:.0f}s: {_stderr_tail(server.stderr_path)}"
    )
