"""Kubernetes Deployments/StatefulSets: container command/args, resources, replicas, and HPAs."""

from __future__ import annotations

import re
from typing import Any

from workeradvisor.check.cmdline import apply_env, parse_argv
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.units import parse_cpus, parse_memory
from workeradvisor.check.yamlio import Lines, as_list, as_map, as_words, line_of, load_documents

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def is_kubernetes(data: Any) -> bool:
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def parse_kubernetes(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    docs, problem = load_documents(path, text)
    return kubernetes_units(path, docs, problem)


def kubernetes_units(path: str, docs: list[tuple[Any, Lines]],
                     problem: ParseProblem | None) -> tuple[list[Unit], list[ParseProblem]]:
    """Units from documents already parsed: discovery parses a YAML file once and passes them here."""
    problems = [problem] if problem else []
    units: list[Unit] = []
    hpas: dict[str, str] = {}
    for data, lines in docs:
        if not is_kubernetes(data):
            continue
        if data["kind"] in WORKLOADS:
            units.extend(_workload(path, data, lines, problems))
        elif data["kind"] == "HorizontalPodAutoscaler":
            target, desc = _hpa(data)
            if target:
                hpas[target] = desc
    for unit in units:
        workload = unit.name.split("/", 1)[0]
        if workload in hpas:
            unit.hpa = hpas[workload]
    return units, problems


def _hpa(data: dict[str, Any]) -> tuple[str, str]:
    spec = as_map(data.get("spec"))
    target = str(as_map(spec.get("scaleTargetRef")).get("name", ""))
    cpu = spec.get("targetCPUUtilizationPercentage")
    for metric in as_list(spec.get("metrics")):
        res = as_map(as_map(metric).get("resource"))
        if res.get("name") == "cpu":
            cpu = as_map(res.get("target")).get("averageUtilization", cpu)
    desc = f"{spec.get('minReplicas', 1)}-{spec.get('maxReplicas', '?')} replicas"
    return target, desc + (f" @ {cpu}% CPU" if cpu is not None else "")


def _anchor_to_args(unit: Unit, command: list[str], args: list[str], lines: Lines, base: tuple) -> None:
    """Findings about workers/reload point at the command or args item that sets them."""
    proc = unit.process
    assert proc is not None
    words = [("command", i, w) for i, w in enumerate(command)] + [("args", i, w) for i, w in enumerate(args)]
    for key, i, word in words:
        if re.search(r"(^|\s)(--workers|-w)", word):
            proc.workers_path, proc.workers_line = unit.path, line_of(lines, *base, key, i)
        if re.search(r"(^|\s)--reload\b", word) or word == "dev":
            proc.reload_path, proc.reload_line = unit.path, line_of(lines, *base, key, i)


def _workload(path: str, data: dict[str, Any], lines: Lines, problems: list[ParseProblem]) -> list[Unit]:
    meta = as_map(data.get("metadata"))
    spec = as_map(data.get("spec"))
    pod = as_map(as_map(spec.get("template")).get("spec"))
    replicas = spec.get("replicas", 1) if data["kind"] != "DaemonSet" else None
    units = []
    for i, container in enumerate(as_list(pod.get("containers"))):
        if not isinstance(container, dict):
            continue
        base = ("spec", "template", "spec", "containers", i)
        name = f"{meta.get('name', '?')}/{container.get('name', i)}"
        unit = Unit(path=path, kind="kubernetes", name=name, line=line_of(lines, *base))
        unit.replicas = replicas if isinstance(replicas, int) else None
        for j, var in enumerate(as_list(container.get("env"))):
            if isinstance(var, dict) and "name" in var and "value" in var:
                unit.env[str(var["name"])] = str(var["value"])
                unit.env_lines[str(var["name"])] = line_of(lines, *base, "env", j)
        command, args = as_words(container.get("command")), as_words(container.get("args"))
        line = line_of(lines, *base, "command" if command else "args")
        try:
            unit.process = parse_argv(command + args, line, unit.env) or (
                parse_argv(args, line, unit.env) if command else None)
        except ValueError as exc:
            problems.append(ParseProblem(path, line, f"container {name}: cannot split command: {exc}"))
        if unit.process:
            _anchor_to_args(unit, command, args, lines, base)
            apply_env(unit.process, unit.env)
        resources = as_map(container.get("resources"))
        limits, requests = as_map(resources.get("limits")), as_map(resources.get("requests"))
        unit.cpu_limit, unit.mem_limit = parse_cpus(limits.get("cpu")), parse_memory(limits.get("memory"))
        unit.cpu_request, unit.mem_request = parse_cpus(requests.get("cpu")), parse_memory(requests.get("memory"))
        unit.limit_line = line_of(lines, *base, "resources", "limits" if limits else "requests", default=unit.line)
        unit.request_line = line_of(lines, *base, "resources", "requests", default=unit.line)
        unit.extra["has_command"] = bool(command or args)
        units.append(unit)
    return units
