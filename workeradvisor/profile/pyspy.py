"""Run ``py-spy record --format raw --threads`` against one process, in its own window.

py-spy in its default blocking mode stops the target for every sample (about 10% of throughput),
so it is only used for attribution, never for the headline numbers. Each run goes through
``procs.spawn`` / ``procs.release`` so it is stopped by PID on success, failure, timeout or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from workeradvisor import deathwatch, procs
from workeradvisor.errors import PermissionDeniedError, TargetError, ToolMissingError
from workeradvisor.profile.stacks import Sample, parse_raw

DEFAULT_RATE_HZ = 75
PTRACE_FIX = (
    "run as root, add CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE), "
    "or set kernel.yama.ptrace_scope=0 (sysctl -w kernel.yama.ptrace_scope=0)"
)


@dataclass(frozen=True)
class SpyRun:
    pid: int
    include_idle: bool
    duration_s: float
    rate_hz: int
    samples: tuple[Sample, ...]
    target_died: bool = False


def find_py_spy() -> str:
    """py-spy next to the running interpreter (same venv), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("py-spy")
    if found:
        return found
    raise ToolMissingError("py-spy not found next to the Python interpreter or on PATH: pip install py-spy")


def start(pid: int, *, duration_s: float, include_idle: bool, rate_hz: int = DEFAULT_RATE_HZ) -> _Pending:
    """Start one py-spy recording; ``finish`` collects it. Two may run at once on different PIDs."""
    exe = find_py_spy()
    out = tempfile.NamedTemporaryFile(prefix=deathwatch.temp_prefix("pyspy"), suffix=".txt", delete=False)
    out.close()
    argv = [exe, "record", "--pid", str(pid), "--format", "raw", "--threads", "--full-filenames",
            "--rate", str(rate_hz), "--duration", str(max(1, round(duration_s))), "--output", out.name]
    if include_idle:
        argv.append("--idle")
    err = tempfile.TemporaryFile()
    proc = procs.spawn(argv, stdout=subprocess.DEVNULL, stderr=err.fileno())
    return _Pending(pid, include_idle, max(1, round(duration_s)), rate_hz, proc, out.name, err)


@dataclass
class _Pending:
    pid: int
    include_idle: bool
    duration_s: float
    rate_hz: int
    proc: subprocess.Popen[bytes]
    out_path: str
    err: object  # binary temp file holding py-spy's stderr

    def finish(self, grace_s: float = 15.0) -> SpyRun:
        """Wait for py-spy, parse its output, map its failures to our exit codes. Always cleans up."""
        try:
            deadline = time.monotonic() + self.duration_s + grace_s
            while self.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            timed_out = self.proc.poll() is None
            procs.release(self.proc, grace_s=2.0)
            self.err.seek(0)  # type: ignore[attr-defined]
            stderr = self.err.read().decode(errors="replace")  # type: ignore[attr-defined]
            text = Path(self.out_path).read_text(errors="replace") if os.path.exists(self.out_path) else ""
        finally:
            with contextlib.suppress(Exception):
                self.err.close()  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):
                os.unlink(self.out_path)
        samples = tuple(parse_raw(text.splitlines()))
        died = not procs.pid_alive(self.pid)
        if self.proc.returncode not in (0, None) and not samples:
            _raise_for(self.pid, stderr, died)
        if timed_out and not samples:
            raise TargetError(f"py-spy did not finish sampling PID {self.pid} in time")
        return SpyRun(self.pid, self.include_idle, self.duration_s, self.rate_hz, samples, died)


    def discard(self) -> None:
        """Stop py-spy and drop its files (Ctrl-C or another pass failed)."""
        procs.release(self.proc, grace_s=1.0)
        with contextlib.suppress(Exception):
            self.err.close()  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            os.unlink(self.out_path)


def _raise_for(pid: int, stderr: str, died: bool) -> None:
    lowered = stderr.lower()
    if "permission denied" in lowered or "operation not permitted" in lowered or "ptrace" in lowered:
        raise PermissionDeniedError(f"py-spy may not attach to PID {pid} (ptrace not permitted): {PTRACE_FIX}")
    if died:
        raise TargetError(f"PID {pid} exited while py-spy was sampling it")
    first = next((ln.strip() for ln in stderr.splitlines() if ln.strip().startswith("Error")), "")
    first = first or next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "no output")
    raise TargetError(f"py-spy failed on PID {pid}: {first}")
