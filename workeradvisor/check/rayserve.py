"""Ray Serve config files (``applications:``): CPUs each deployment's replicas reserve (seed 003)."""

from __future__ import annotations

import re
from typing import Any

from workeradvisor.check.model import Unit
from workeradvisor.check.yamlio import Lines, as_list, as_map, line_of

RAY_DEFAULT_REPLICA_CPUS = 1.0  # Ray Serve: "by default, each replica reserves one CPU"
_ROUTER = re.compile(r"router|proxy|ingress|gateway", re.I)


def is_router(name: str) -> bool:
    """A deployment that forwards requests (seed 003's LLMRouter) rather than computing them."""
    return bool(_ROUTER.search(name.rsplit("/", 1)[-1]))


def is_ray_serve(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("applications"), list)


def ray_serve_units(path: str, data: dict[str, Any], lines: Lines) -> list[Unit]:
    units = []
    for a, app in enumerate(data["applications"]):
        if not isinstance(app, dict):
            continue
        for d, dep in enumerate(as_list(app.get("deployments"))):
            if not isinstance(dep, dict):
                continue
            name = f"{app.get('name', a)}/{dep.get('name', d)}"
            line = line_of(lines, "applications", a, "deployments", d)
            unit = Unit(path=path, kind="ray-serve", name=name, line=line)
            options = as_map(dep.get("ray_actor_options"))
            cpus = options.get("num_cpus")
            unit.cpu_request = float(cpus) if isinstance(cpus, int | float) else RAY_DEFAULT_REPLICA_CPUS
            if cpus is None:
                unit.notes.append("num_cpus not set: Ray Serve reserves 1 CPU per replica")
            scaling = as_map(dep.get("autoscaling_config"))
            replicas = dep.get("num_replicas", scaling.get("min_replicas", 1))
            unit.replicas = replicas if isinstance(replicas, int) else 1
            if isinstance(scaling.get("max_replicas"), int):  # reservations at full scale (check/fleetfit.py)
                unit.extra["max_replicas"] = scaling["max_replicas"]
            unit.limit_line = unit.request_line = unit.line
            units.append(unit)
    return units
