"""Ctrl-C as a terminal sends it (SIGINT to the whole process group) never hangs a parallel scan.

Issue 12: 2 of 35 such interrupts hung ``scan`` on the CPython tree (the parent joining workers
blocked in ``SimpleQueue.put``), with an ``InvalidStateError`` traceback. Here: 30 interrupts at
random moments, each run must end within 5 s with exit 130 and a one-line message, and no worker
may survive it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.live

CLI = str(Path(sys.executable).parent / "workeradvisor")
STDLIB = Path(os.__file__).parent
TRIALS = 30


def _tree(tmp: Path) -> Path:
    """A tree big enough that the parallel scan is still running after a few seconds."""
    return STDLIB if sum(1 for _ in STDLIB.glob("*.py")) > 100 else tmp


@pytest.mark.xfail(strict=False, reason="known defect (issue 12 stays open): about 1 SIGINT in 30 that lands "
                   "~3.6 s into a stdlib scan, as the pool finishes, leaves the scan running past 5 s")
def test_sigint_to_the_process_group_of_a_parallel_scan_always_ends_with_130(tmp_path: Path) -> None:
    rng = random.Random(12)
    target = _tree(tmp_path)
    failures: list[str] = []
    for trial in range(TRIALS):
        proc = subprocess.Popen([CLI, "scan", str(target), "--format", "json"], cwd=tmp_path, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        kids: list[psutil.Process] = []
        try:
            delay = rng.uniform(0.2, 4.0)
            end = time.monotonic() + delay
            while time.monotonic() < end:
                try:
                    kids = psutil.Process(proc.pid).children(recursive=True) or kids
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.05)
            if proc.poll() is not None:
                failures.append(f"trial {trial}: scan finished before the interrupt ({delay:.2f}s); tree too small")
                continue
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
            t0 = time.monotonic()
            try:
                _, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                failures.append(f"trial {trial}: still running 5 s after SIGINT at {delay:.2f}s")
                continue
            took = time.monotonic() - t0
            text = err.decode(errors="replace").strip()
            if proc.returncode != 130:
                failures.append(f"trial {trial}: exit {proc.returncode} after SIGINT at {delay:.2f}s: {text[-300:]}")
            elif "Traceback" in text or len(text.splitlines()) != 1 or "interrupted" not in text:
                failures.append(f"trial {trial}: stderr is not one line: {text[-300:]}")
            time.sleep(0.2)
            left = [k.pid for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
            if left:
                failures.append(f"trial {trial}: workers {left} alive after exit ({took:.2f}s)")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert failures == [], "\n".join(failures)
