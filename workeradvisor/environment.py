"""The CPU and memory this process really gets, read from cgroups and the affinity mask.

Why: ``os.cpu_count()`` and psutil report the host, not the container. gunicorn#2028 shows the
cost: 129 workers started in a 1-CPU container, then OOM. Everything is read below ``root`` so
tests can point it at a fake tree; each number carries the file it came from.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from workeradvisor.models.decision import Environment

_V1_UNLIMITED = 1 << 60  # v1 reports "no limit" as a page-rounded 2**63-1
# Where /proc and /sys are read from when no root is given: "/" unless this names a fake tree. Tests
# run whole commands (analyze, compare, advise, check) as processes under a fake cgroup this way.
SYSROOT_ENV = "WORKERADVISOR_SYSROOT"


def system_root() -> Path:
    return Path(os.environ.get(SYSROOT_ENV) or "/")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _parse_cpu_list(text: str) -> int:
    """Count CPUs in a list like ``0-3,6,8-9``."""
    count = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        count += (int(hi) - int(lo) + 1) if hi else 1
    return count


def _cgroup_paths(root: Path) -> tuple[str | None, dict[str, str]]:
    """(v2 path, {v1 controller: path}) from ``/proc/self/cgroup``."""
    v2: str | None = None
    v1: dict[str, str] = {}
    for line in (_read(root / "proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            v2 = path
        for c in controllers.split(","):
            if c:
                v1[c] = path
    return v2, v1


def _levels(mount: Path, cg_path: str | None) -> list[Path]:
    """The cgroup directory and its parents up to the mount, leaf first (limits nest)."""
    levels: list[Path] = []
    rel = (cg_path or "/").strip("/")
    parts = rel.split("/") if rel else []
    for i in range(len(parts), -1, -1):
        d = mount.joinpath(*parts[:i]) if i else mount
        if d.is_dir() and d not in levels:
            levels.append(d)
    return levels or ([mount] if mount.is_dir() else [])


def _cpu_quota(root: Path) -> tuple[float | None, str]:
    v2_path, v1 = _cgroup_paths(root)
    best: tuple[float | None, str] = (None, "")
    mount = root / "sys/fs/cgroup"
    for d in _levels(mount, v2_path) if (mount / "cgroup.controllers").exists() else []:
        text = _read(d / "cpu.max")
        if not text:
            continue
        quota, _, period = text.partition(" ")
        if quota == "max" or not period:
            continue
        cores = int(quota) / int(period)
        if best[0] is None or cores < best[0]:
            best = (cores, f"cgroup v2 {d.relative_to(root)}/cpu.max ({quota}/{period})")
    if best[0] is not None:
        return best
    for name in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
        v1_mount = mount / name
        if not v1_mount.is_dir():
            continue
        for d in _levels(v1_mount, v1.get("cpu")):
            quota_s, period_s = _read(d / "cpu.cfs_quota_us"), _read(d / "cpu.cfs_period_us")
            if not quota_s or not period_s or int(quota_s) <= 0 or int(period_s) <= 0:
                continue
            cores = int(quota_s) / int(period_s)
            if best[0] is None or cores < best[0]:
                best = (cores, f"cgroup v1 {d.relative_to(root)}/cpu.cfs_quota_us ({quota_s}/{period_s})")
        break
    return best


def _memory_limit(root: Path, host_memory: int) -> tuple[int | None, str]:
    v2_path, v1 = _cgroup_paths(root)
    mount = root / "sys/fs/cgroup"
    best: tuple[int | None, str] = (None, "host")
    if (mount / "cgroup.controllers").exists():
        for d in _levels(mount, v2_path):
            text = _read(d / "memory.max")
            if text and text != "max" and text.isdigit() and (best[0] is None or int(text) < best[0]):
                best = (int(text), f"cgroup v2 {d.relative_to(root)}/memory.max")
    elif (mount / "memory").is_dir():
        for d in _levels(mount / "memory", v1.get("memory")):
            text = _read(d / "memory.limit_in_bytes")
            if text and text.isdigit() and int(text) < _V1_UNLIMITED and (best[0] is None or int(text) < best[0]):
                best = (int(text), f"cgroup v1 {d.relative_to(root)}/memory.limit_in_bytes")
    if best[0] is not None and best[0] >= host_memory:
        return None, "host (cgroup limit above host memory)"
    return best


def _host_cores(root: Path) -> int:
    text = _read(root / "sys/devices/system/cpu/online")
    if text:
        try:
            return _parse_cpu_list(text)
        except ValueError:
            pass
    return os.cpu_count() or 1


def _host_memory(root: Path) -> int:
    for line in (_read(root / "proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def _affinity(root: Path) -> int | None:
    for line in (_read(root / "proc/self/status") or "").splitlines():
        if line.startswith("Cpus_allowed_list:"):
            try:
                return _parse_cpu_list(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def detect_environment(root: str | Path | None = None, cores: float | None = None,
                       memory: int | None = None) -> Environment:
    """The machine's real limits; ``cores``/``memory`` (from ``--cores``/``--memory``) win when given."""
    base = Path(root) if root is not None else system_root()
    host_cores = _host_cores(base)
    host_memory = _host_memory(base)
    quota, quota_source = _cpu_quota(base)
    affinity = _affinity(base)
    candidates: list[tuple[float, str]] = [(float(host_cores), f"host ({host_cores} CPUs online)")]
    if affinity is not None:
        candidates.append((float(affinity), f"affinity ({affinity} CPUs allowed)"))
    if quota is not None:
        candidates.append((quota, quota_source))
    effective, source = min(candidates, key=lambda c: c[0])
    if cores is not None:
        effective, source = float(cores), "--cores"
    mem_limit, mem_source = _memory_limit(base, host_memory) if host_memory else (None, "host")
    if memory is not None:
        mem_limit, mem_source = int(memory), "--memory"
    return Environment(
        cores=effective,
        cores_source=source,
        host_cores=host_cores,
        host_memory_bytes=host_memory,
        cpu_quota_cores=quota,
        cpu_quota_source=quota_source,
        affinity_cores=affinity,
        memory_limit_bytes=mem_limit,
        memory_source=mem_source,
    )


def cpu_count(root: str | Path | None = None) -> int:
    """The one core count for parallelism (scan processes, load generators, check's default node):
    CPUs this process can run on at once, cgroup quota and affinity aware, rounded up (a 1.5-core
    quota still runs two processes). Worker counts use ``Environment.usable_workers`` (rounded down)."""
    return max(1, math.ceil(detect_environment(root).cores - 1e-9))


def parse_memory(text: str) -> int:
    """``2G``, ``512Mi``, ``1.5GiB``, ``1048576`` -> bytes (binary units). ValueError when malformed."""
    t = text.strip().lower().removesuffix("b").removesuffix("i")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    mult = units.get(t[-1:], 1) if t else 1
    number = t[:-1] if t[-1:] in units else t
    value = float(number)
    if value <= 0:
        raise ValueError(text)
    return int(value * mult)
