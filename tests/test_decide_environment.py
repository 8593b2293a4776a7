"""Environment detection against fake cgroup trees: v2, v1, nested limits, affinity, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from workeradvisor.environment import detect_environment, parse_memory

GIB = 1 << 30


def fake_root(tmp_path: Path, cgroup: str, cpus_online: str = "0-7", allowed: str = "0-7",
              mem_kib: int = 16 * 1024 * 1024) -> Path:
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    (tmp_path / "proc/self/status").write_text(f"Name:\tpython\nCpus_allowed_list:\t{allowed}\n")
    (tmp_path / "proc/meminfo").write_text(f"MemTotal:       {mem_kib} kB\nMemFree: 1 kB\n")
    (tmp_path / "sys/devices/system/cpu").mkdir(parents=True)
    (tmp_path / "sys/devices/system/cpu/online").write_text(cpus_online + "\n")
    return tmp_path


def write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text + "\n")


def test_cgroup_v2_quota_and_memory(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/app.slice/svc\n")
    write(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory")
    write(root, "sys/fs/cgroup/app.slice/svc/cpu.max", "150000 100000")
    write(root, "sys/fs/cgroup/app.slice/svc/memory.max", str(2 * GIB))
    env = detect_environment(root)
    assert env.cores == 1.5 and env.usable_workers == 1
    assert "cgroup v2" in env.cores_source and "cpu.max (150000/100000)" in env.cores_source
    assert env.host_cores == 8 and env.affinity_cores == 8
    assert env.memory_limit_bytes == 2 * GIB and "memory.max" in env.memory_source


def test_cgroup_v2_unlimited_falls_back_to_affinity(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/\n", allowed="0-1,4")
    write(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory")
    write(root, "sys/fs/cgroup/cpu.max", "max 100000")
    write(root, "sys/fs/cgroup/memory.max", "max")
    env = detect_environment(root)
    assert env.cores == 3 and env.cores_source.startswith("affinity")
    assert env.memory_limit_bytes is None and env.memory_bytes == 16 * GIB


def test_cgroup_v2_parent_limit_is_the_tighter_one(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/outer/inner\n")
    write(root, "sys/fs/cgroup/cgroup.controllers", "cpu")
    write(root, "sys/fs/cgroup/outer/cpu.max", "100000 100000")
    write(root, "sys/fs/cgroup/outer/inner/cpu.max", "400000 100000")
    env = detect_environment(root)
    assert env.cores == 1.0 and "outer/cpu.max" in env.cores_source


def test_cgroup_v1_cfs_quota_and_memory(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/\n")
    write(root, "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000")
    write(root, "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000")
    write(root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", str(GIB))
    env = detect_environment(root)
    assert env.cores == 2.0 and "cgroup v1" in env.cores_source and "cfs_quota_us" in env.cores_source
    assert env.memory_limit_bytes == GIB and "limit_in_bytes" in env.memory_source


def test_cgroup_v1_no_quota_and_unlimited_memory(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "4:memory:/\n1:cpu:/\n", cpus_online="0-3", allowed="0-3")
    write(root, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1")
    write(root, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000")
    write(root, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712")
    env = detect_environment(root)
    assert env.cores == 4 and env.cores_source.startswith("host")
    assert env.memory_limit_bytes is None


def test_container_path_missing_uses_the_mount_root(tmp_path: Path) -> None:
    """Inside a container /proc/self/cgroup names a host path that is not mounted: read the mount root."""
    root = fake_root(tmp_path, "0::/kubepods/pod1/ctr\n")
    write(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory")
    write(root, "sys/fs/cgroup/cpu.max", "50000 100000")
    env = detect_environment(root)
    assert env.cores == 0.5 and env.usable_workers == 1


def test_overrides_win(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "0::/\n")
    env = detect_environment(root, cores=3, memory=512 << 20)
    assert env.cores == 3 and env.cores_source == "--cores"
    assert env.memory_limit_bytes == 512 << 20 and env.memory_source == "--memory"


def test_real_machine_reads_something() -> None:
    env = detect_environment()
    assert env.cores >= 1 and env.host_cores >= 1 and env.host_memory_bytes > 0


@pytest.mark.parametrize(("text", "value"), [("2G", 2 * GIB), ("512Mi", 512 << 20), ("1.5GiB", 3 * GIB // 2),
                                             ("1048576", 1 << 20), ("64k", 64 << 10)])
def test_parse_memory(text: str, value: int) -> None:
    assert parse_memory(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1G", "0"])
def test_parse_memory_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_memory(text)


def test_one_core_count_for_every_caller(monkeypatch) -> None:
    """scan's parallelism, the load generator (procs) and check all read environment.cpu_count."""
    from workeradvisor import environment, procs
    from workeradvisor.scan import engine

    monkeypatch.setattr(environment, "detect_environment",
                        lambda root="/": environment.Environment(cores=1.5, cores_source="test", host_cores=8,
                                                                 host_memory_bytes=1 << 30))
    assert environment.cpu_count() == 2  # a 1.5-core quota still runs two processes at once
    assert procs.this_process_cpu_count() == 2 and engine.cpu_count() == 2
