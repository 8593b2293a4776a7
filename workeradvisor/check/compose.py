"""docker-compose files: ``command``, ``environment``, ``deploy.resources`` and replicas per service."""

from __future__ import annotations

import posixpath
from typing import Any

from workeradvisor.check.cmdline import apply_env, parse_argv, parse_shell
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.units import parse_cpus, parse_memory
from workeradvisor.check.yamlio import Lines, as_map, line_of, load_documents


def _environment(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        out = {}
        for item in raw:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    return {}


def _dockerfile_of_build(raw: Any, compose_dir: str) -> str | None:
    if isinstance(raw, str):
        return posixpath.normpath(posixpath.join(compose_dir, raw, "Dockerfile"))
    if isinstance(raw, dict):
        ctx = posixpath.normpath(posixpath.join(compose_dir, str(raw.get("context", "."))))
        return posixpath.normpath(posixpath.join(ctx, str(raw.get("dockerfile", "Dockerfile"))))
    return None


def parse_compose(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    docs, problem = load_documents(path, text)
    problems = [problem] if problem else []
    units: list[Unit] = []
    for data, lines in docs:
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        for name, svc in services.items():
            if isinstance(svc, dict):
                unit, err = _service(path, str(name), svc, lines)
                units.append(unit)
                problems.extend(err)
    return units, problems


def _service(path: str, name: str, svc: dict[str, Any], lines: Lines) -> tuple[Unit, list[ParseProblem]]:
    base = ("services", name)
    unit = Unit(path=path, kind="compose", name=name, line=line_of(lines, *base))
    unit.env = _environment(svc.get("environment"))
    raw_env = svc.get("environment")
    for i, key in enumerate(unit.env):
        sub = key if isinstance(raw_env, dict) else i
        unit.env_lines[key] = line_of(lines, *base, "environment", sub, default=unit.line)
    build = _dockerfile_of_build(svc.get("build"), posixpath.dirname(path))
    unit.build_context = build  # the Dockerfile this service builds, when it builds one
    problems: list[ParseProblem] = []
    command = svc.get("command")
    if command is not None:
        cline = line_of(lines, *base, "command")
        try:
            if isinstance(command, list):
                unit.process = parse_argv([str(c) for c in command], cline, unit.env)
            else:
                unit.process = parse_shell(str(command), cline, unit.env)
        except ValueError as exc:
            problems.append(ParseProblem(path, cline, f"service {name}: cannot split command: {exc}"))
    if unit.process:
        apply_env(unit.process, unit.env)
    deploy = as_map(svc.get("deploy"))
    resources = as_map(deploy.get("resources"))
    limits, reservations = as_map(resources.get("limits")), as_map(resources.get("reservations"))
    unit.cpu_limit = parse_cpus(limits.get("cpus", svc.get("cpus")))
    unit.mem_limit = parse_memory(limits.get("memory", svc.get("mem_limit")), docker=True)
    unit.cpu_request = parse_cpus(reservations.get("cpus"))
    unit.mem_request = parse_memory(reservations.get("memory", svc.get("mem_reservation")), docker=True)
    if "limits" in resources:
        unit.limit_line = line_of(lines, *base, "deploy", "resources", "limits")
    else:
        unit.limit_line = line_of(lines, *base, "cpus" if "cpus" in svc else "mem_limit", default=unit.line)
    unit.request_line = line_of(lines, *base, "deploy", "resources", "reservations", default=unit.line)
    replicas = deploy.get("replicas", svc.get("scale"))
    unit.replicas = replicas if isinstance(replicas, int) else None
    return unit, problems
