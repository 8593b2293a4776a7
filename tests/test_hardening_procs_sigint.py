"""Ctrl-C as a terminal sends it (SIGINT to the whole process group) never hangs a parallel scan.

Issue 12: 2 of 35 such interrupts hung ``scan`` on the CPython tree (the parent joining workers
blocked in ``SimpleQueue.put``), with an ``InvalidStateError`` traceback. Here: 30 interrupts at
random moments, each run must end within 5 s with exit 130 and a one-line message, and no worker
may survive it.

The rare hang the random trials found (about 1 in 30) has its own deterministic test: the Ctrl-C lands
while the pool's manager thread is halfway through receiving a chunk's results (larger than a pipe
holds), so the killed worker never sends the rest and interpreter exit joined that thread forever.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.live, pytest.mark.parallel]

CLI = str(Path(sys.executable).parent / "workeradvisor")
STDLIB = Path(os.__file__).parent
TRIALS = 30


def _tree(tmp: Path) -> Path:
    """A tree big enough that the parallel scan is still running after a few seconds."""
    return STDLIB if sum(1 for _ in STDLIB.glob("*.py")) > 100 else tmp


LANES = 2  # trials run two at a time: half the wall time, and a second scan competing for the cores only
# makes the exit harder (the 5 s bound holds under that contention too)


def _trial(trial: int, delay: float, target: Path, cwd: Path) -> tuple[list[str], float | None]:
    """One scan, SIGINT to its process group after ``delay`` s: (failures, seconds from the signal to exit)."""
    proc = subprocess.Popen([CLI, "scan", str(target), "--format", "json"], cwd=cwd, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kids: list[psutil.Process] = []
    try:
        end = time.monotonic() + delay
        while time.monotonic() < end:
            try:
                kids = psutil.Process(proc.pid).children(recursive=True) or kids
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        if proc.poll() is not None:
            return [f"trial {trial}: scan finished before the interrupt ({delay:.2f}s); tree too small"], None
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        t0 = time.monotonic()
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            return [f"trial {trial}: still running 5 s after SIGINT at {delay:.2f}s"], None
        took = time.monotonic() - t0
        failures = []
        text = err.decode(errors="replace").strip()
        if proc.returncode != 130:
            failures.append(f"trial {trial}: exit {proc.returncode} after SIGINT at {delay:.2f}s: {text[-300:]}")
        elif "Traceback" in text or len(text.splitlines()) != 1 or "interrupted" not in text:
            failures.append(f"trial {trial}: stderr is not one line: {text[-300:]}")
        time.sleep(0.2)
        left = [k.pid for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
        if left:
            failures.append(f"trial {trial}: workers {left} alive after exit ({took:.2f}s)")
        return failures, took
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_sigint_to_the_process_group_of_a_parallel_scan_always_ends_with_130(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # New moments on every run (the timing varies anyway); the seed is in the failure message.
    seed = int(os.environ.get("WORKERADVISOR_SIGINT_SEED", str(time.time_ns() % 1_000_000)))
    rng = random.Random(seed)
    target = _tree(tmp_path)
    # pool start-up, the workers running, results streaming back
    delays = [rng.uniform(0.2, 2.5) for _ in range(TRIALS)]
    with ThreadPoolExecutor(LANES) as lanes:
        results = list(lanes.map(lambda i: _trial(i, delays[i], target, tmp_path), range(TRIALS)))
    failures = [f for fails, _ in results for f in fails]
    exits = [t for _, t in results if t is not None]
    print(f"seed {seed}: {len(exits)} SIGINTs, worst exit {max(exits, default=0):.2f} s after the signal")  # -s
    assert failures == [], f"seed {seed} (WORKERADVISOR_SIGINT_SEED):\n" + "\n".join(failures)


# A child that scans a generated tree in a pool and, from the manager thread, interrupts itself after
# reading the first 64 KB of a result message larger than a pipe holds (the worker is still writing).
MID_RECEIVE_CHILD = textwrap.dedent("""
    import os, signal, sys, threading, time
    import multiprocessing.connection as mc
    from workeradvisor.scan import engine
    from workeradvisor.scan.discover import discover

    original, fired = mc.Connection._recv, []

    def _recv(self, size, read=os.read):
        if size <= 2 * 65536 or fired or threading.current_thread() is threading.main_thread():
            return original(self, size)
        fired.append(True)
        head = original(self, 65536)
        print("SIGINT", size, flush=True)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)  # the main thread abandons the pool (SIGKILLs the writer) meanwhile
        rest = original(self, size - 65536)
        head.seek(0, 2)
        head.write(rest.getvalue())
        head.seek(0)
        return head

    mc.Connection._recv = _recv
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rules = engine.scan_rules()
    index = engine.build_index(rules.values(), rules)
    files, _ = discover([sys.argv[1]], os.getcwd(), None, ())
    try:
        engine.run_files(files, index, engine._tokens(files), 2)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit("finished without an interrupt: no result message was larger than a pipe")
""")


def _big_tree(root: Path) -> Path:
    """48 files (the pool's minimum) whose facts pickle to ~75 KB each: a 3-file chunk > 128 KB."""
    body = "import time, requests\n\n" + "".join(
        f"async def handler_{i}(x):\n    time.sleep(0.1)\n    return requests.get('http://a/{i}', params=x)\n\n"
        for i in range(400))
    tree = root / "tree"
    tree.mkdir()
    for i in range(48):
        (tree / f"mod_{i}.py").write_text(body)
    return tree


def test_ctrl_c_while_a_large_result_is_half_received_still_exits_promptly(tmp_path: Path) -> None:
    tree = _big_tree(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", MID_RECEIVE_CHILD, str(tree)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline().decode() if ready else ""
        assert line.startswith("SIGINT"), f"the child never reached a large result: {line!r}"
        t0 = time.monotonic()
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail("still running 5 s after Ctrl-C landed mid-result (the manager thread's read never ends)")
        took = time.monotonic() - t0
        assert proc.returncode == 130, err.decode(errors="replace")[-500:]
        assert b"Traceback" not in err, err.decode(errors="replace")[-800:]  # no InvalidStateError from the manager
        assert took < 5
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
