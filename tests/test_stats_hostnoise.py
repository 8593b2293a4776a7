"""Host noise: /proc/stat parsing, other processes' CPU, steal, and how noise lowers confidence."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from workeradvisor.hostnoise import (
    CLOCK_TICKS,
    CpuTicks,
    HostNoiseSampler,
    noise_deduction,
    noise_from,
    read_proc_stat,
)
from workeradvisor.models.verdict import HostNoise


def _stat(tmp_path: Path, name: str, user: int, system: int, idle: int, steal: int) -> str:
    p = tmp_path / name
    p.write_text(f"cpu  {user} 0 {system} {idle} 0 0 0 {steal} 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\n")
    return str(p)


def test_read_proc_stat_in_seconds(tmp_path: Path) -> None:
    t = read_proc_stat(_stat(tmp_path, "s", 300, 100, 600, 20))
    assert t is not None
    assert (t.busy * CLOCK_TICKS, t.steal * CLOCK_TICKS, t.total * CLOCK_TICKS) == pytest.approx((400, 20, 1020))
    assert read_proc_stat(str(tmp_path / "missing")) is None


def test_noise_from_subtracts_our_own_cpu() -> None:
    start, end = CpuTicks(10.0, 0.0, 100.0), CpuTicks(13.0, 0.2, 104.0)  # 3 s busy, 0.2 s steal, 2 s wall x 2 cores
    n = noise_from(start, end, own_cpu_s=2.0, wall_s=2.0, host_cores=2)
    assert n.busy_percent == 150.0 and n.own_cpu_percent == 100.0 and n.other_cpu_percent == 50.0
    assert n.steal_percent == 5.0
    assert n.other_share == 0.25


def test_quiet_host_costs_nothing() -> None:
    assert noise_deduction(HostNoise(5.0, 2, 101.0, 100.0, 1.0, 0.0)) is None
    assert noise_deduction(None) is None


def test_noisy_and_heavy_host_lower_confidence_and_say_why() -> None:
    noisy = noise_deduction(HostNoise(5.0, 2, 130.0, 100.0, 30.0, 0.0))
    heavy = noise_deduction(HostNoise(5.0, 2, 160.0, 100.0, 60.0, 0.0))
    steal = noise_deduction(HostNoise(5.0, 2, 100.0, 100.0, 0.0, 12.0))
    assert noisy is not None and heavy is not None and steal is not None
    assert noisy[0] < heavy[0] and steal[0] == heavy[0]
    assert "other processes used 30% CPU" in noisy[1]
    assert "stole 12.0%" in steal[1]


def test_sampler_counts_cpu_outside_our_processes_as_other() -> None:
    """With no process declared ours, this test's own busy thread is 'another process'."""
    stop = threading.Event()

    def burn() -> None:
        while not stop.is_set():
            sum(i * i for i in range(1000))

    sampler = HostNoiseSampler(interval_s=0.1, pids=lambda: []).start()
    cpu0, wall0 = time.process_time(), time.monotonic()
    t = threading.Thread(target=burn)
    t.start()
    time.sleep(0.6)
    stop.set()
    t.join()
    burned = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100.0  # what the burn really got
    noise = sampler.stop()
    assert noise is not None
    assert noise.own_cpu_percent == 0.0
    assert burned > 10.0 and noise.other_cpu_percent >= 0.7 * burned


def test_sampler_counts_our_own_burn_as_ours() -> None:
    stop = threading.Event()

    def burn() -> None:
        while not stop.is_set():
            sum(i * i for i in range(1000))

    sampler = HostNoiseSampler(interval_s=0.1).start()
    cpu0, wall0 = time.process_time(), time.monotonic()
    t = threading.Thread(target=burn)
    t.start()
    time.sleep(0.6)
    stop.set()
    t.join()
    burned = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100.0
    noise = sampler.stop()
    assert noise is not None
    assert burned > 10.0 and 0.7 * burned <= noise.own_cpu_percent <= 1.5 * burned + 5.0
