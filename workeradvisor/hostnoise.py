"""How noisy the host was during a measurement window: CPU used by processes this tool did not
start, and CPU stolen by the hypervisor.

Why it matters: a server's RPS and CPU per request are only comparable between trials when the
cores it runs on are not shared with something else. /proc/stat gives the host's busy and steal
time (clock ticks, all cores); psutil gives the CPU of this process and everything it started
(server, workers, load generators, py-spy). Busy minus ours is the other processes' CPU.

Sampled every ``interval_s`` so children that start and exit inside the window are still counted
as ours (a child's CPU is read while it lives; its baseline is 0 when born inside the window).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

from workeradvisor.models.verdict import HostNoise

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

NOISY_OTHER_CORES = 0.25  # other processes averaging a quarter of a core: trials are no longer alone
HEAVY_OTHER_CORES = 0.5
NOISY_STEAL_PERCENT = 2.0
HEAVY_STEAL_PERCENT = 10.0


@dataclass(frozen=True)
class CpuTicks:
    """The aggregate ``cpu`` line of /proc/stat, in seconds."""

    busy: float  # user + nice + system + irq + softirq (guest time is inside user)
    steal: float
    total: float


def read_proc_stat(path: str = "/proc/stat") -> CpuTicks | None:
    try:
        with open(path) as fh:
            first = fh.readline().split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    vals = [int(x) / CLOCK_TICKS for x in first[1:]] + [0.0] * 8
    user, nice, system, idle, iowait, irq, softirq, steal = vals[:8]
    return CpuTicks(user + nice + system + irq + softirq, steal, user + nice + system + idle + iowait + irq
                    + softirq + steal)


def own_pids() -> list[int]:
    """This process and every descendant (servers, workers, generators, py-spy)."""
    me = psutil.Process()
    try:
        return [me.pid] + [c.pid for c in me.children(recursive=True)]
    except psutil.Error:
        return [me.pid]


def _cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
    return out


class HostNoiseSampler:
    """Start before a window, stop after it: ``stop()`` returns the window's ``HostNoise``."""

    def __init__(self, interval_s: float = 0.5, pids: Callable[[], list[int]] = own_pids,
                 stat_path: str = "/proc/stat", host_cores: int | None = None) -> None:
        self.interval_s = interval_s
        self._pids = pids
        self._stat_path = stat_path
        self._cores = host_cores or psutil.cpu_count() or 1
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._start: CpuTicks | None = None
        self._t0 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self, baseline: bool = False) -> None:
        for pid, cpu in _cpu_seconds(self._pids()).items():
            # A process first seen after the start was born inside the window: all its CPU is in it.
            self._first.setdefault(pid, cpu if baseline else 0.0)
            self._last[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> HostNoiseSampler:
        self._start = read_proc_stat(self._stat_path)
        self._t0 = time.monotonic()
        self._sample(baseline=True)
        self._thread = threading.Thread(target=self._run, name="workeradvisor-hostnoise", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> HostNoise | None:
        """The window's noise; None when /proc/stat is unreadable (not Linux, or no /proc)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._sample()
        end, wall = read_proc_stat(self._stat_path), max(time.monotonic() - self._t0, 1e-9)
        if self._start is None or end is None:
            return None
        return noise_from(self._start, end, sum(self._last[p] - self._first[p] for p in self._last), wall,
                          self._cores)


def noise_from(start: CpuTicks, end: CpuTicks, own_cpu_s: float, wall_s: float, host_cores: int) -> HostNoise:
    """Host noise from two /proc/stat readings and the CPU seconds our own processes used."""
    busy = max(0.0, end.busy - start.busy)
    total = max(end.total - start.total, 1e-9)
    steal = max(0.0, end.steal - start.steal)
    own = max(0.0, own_cpu_s)
    return HostNoise(
        window_s=round(wall_s, 3),
        host_cores=host_cores,
        busy_percent=round(busy / wall_s * 100.0, 1),
        own_cpu_percent=round(own / wall_s * 100.0, 1),
        other_cpu_percent=round(max(0.0, busy - own) / wall_s * 100.0, 1),
        steal_percent=round(steal / total * 100.0, 2),
    )


def noise_deduction(noise: HostNoise | None) -> tuple[float, str] | None:
    """How much a noisy window lowers a verdict's confidence, and the sentence saying why."""
    if noise is None:
        return None
    other_cores = noise.other_cpu_percent / 100.0
    heavy = other_cores >= HEAVY_OTHER_CORES or noise.steal_percent >= HEAVY_STEAL_PERCENT
    noisy = heavy or other_cores >= NOISY_OTHER_CORES or noise.steal_percent >= NOISY_STEAL_PERCENT
    if not noisy:
        return None
    parts = []
    if other_cores >= NOISY_OTHER_CORES:
        parts.append(f"other processes used {noise.other_cpu_percent:.0f}% CPU (100 = one core) of the host's "
                     f"{noise.host_cores}")
    if noise.steal_percent >= NOISY_STEAL_PERCENT:
        parts.append(f"the hypervisor stole {noise.steal_percent:.1f}% of the CPU")
    why = " and ".join(parts)
    return (0.2 if heavy else 0.1), (f"noisy host over {noise.window_s:.0f} s: {why}; the server shared its cores, "
                                     "so RPS and CPU per request are less certain")
