"""Line-oriented configs: Procfile entries and systemd unit ``ExecStart``/``Environment`` lines."""

from __future__ import annotations

import shlex

from workeradvisor.check.cmdline import apply_env, parse_shell
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.units import parse_memory


def parse_procfile(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    units, problems = [], []
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        name, _, command = line.partition(":")
        unit = Unit(path=path, kind="procfile", name=name.strip(), line=no)
        try:
            unit.process = parse_shell(command.strip(), no)
        except ValueError as exc:
            problems.append(ParseProblem(path, no, f"process {name.strip()}: cannot split command: {exc}"))
        if unit.process:
            apply_env(unit.process, unit.env)
            units.append(unit)
    return units, problems


def parse_systemd(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    """``[Service]`` ExecStart, Environment, CPUQuota (percent of one core) and MemoryMax."""
    unit = Unit(path=path, kind="systemd", name=path.rsplit("/", 1)[-1], line=1)
    problems: list[ParseProblem] = []
    exec_start: tuple[str, int] | None = None
    for no, raw in enumerate(text.splitlines(), 1):
        key, eq, value = raw.strip().partition("=")
        if not eq:
            continue
        key, value = key.strip(), value.strip()
        if key == "ExecStart":
            exec_start = (value.lstrip("@-:+!"), no)
        elif key == "Environment":
            try:
                for item in shlex.split(value):
                    k, _, v = item.partition("=")
                    unit.env[k], unit.env_lines[k] = v, no
            except ValueError as exc:
                problems.append(ParseProblem(path, no, f"Environment: {exc}"))
        elif key == "CPUQuota" and value.endswith("%"):
            try:
                unit.cpu_limit, unit.limit_line = float(value[:-1]) / 100.0, no
            except ValueError:
                problems.append(ParseProblem(path, no, f"CPUQuota: not a percentage: {value}"))
        elif key in ("MemoryMax", "MemoryLimit"):
            unit.mem_limit, unit.limit_line = parse_memory(value, docker=True), no  # systemd: K/M/G are 1024-based
    if exec_start:
        try:
            unit.process = parse_shell(exec_start[0], exec_start[1], unit.env)
        except ValueError as exc:
            problems.append(ParseProblem(path, exec_start[1], f"ExecStart: {exc}"))
        if unit.process:
            unit.line = exec_start[1]
            apply_env(unit.process, unit.env)
    return ([unit] if unit.process else []), problems
