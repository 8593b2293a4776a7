"""Does the whole fleet fit? Replicas x workers x cores per worker against the host or the namespace quota.

The per-container checks (WA501/WA502) look at one process tree. At full scale every replica runs
its workers at once: compose replicas share one host, so ``replicas x workers`` busy event loops (each
up to one core; native compute threads multiply it further, see the thread checks) compete for its
CPUs; Kubernetes admits pods only while a namespace ``ResourceQuota`` has room, so an HPA whose
``maxReplicas x pod CPU`` exceeds the quota never reaches its maximum. Ray Serve router/proxy
deployments keep the default of one reserved CPU per replica unless told otherwise (seed 003).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from workeradvisor.check.discover import display_path, iter_files, kind_of
from workeradvisor.check.emit import emit
from workeradvisor.check.model import Unit
from workeradvisor.check.pools import hpa_max_replicas
from workeradvisor.check.rayserve import RAY_DEFAULT_REPLICA_CPUS, is_router
from workeradvisor.check.resolve import effective_workers
from workeradvisor.check.units import format_cpus, parse_cpus
from workeradvisor.check.yamlio import as_map, line_of, load_documents
from workeradvisor.models.scan import Finding
from workeradvisor.rulebook import Rule
from workeradvisor.safeio import MAX_DEPLOYMENT_FILE, InputError, read_bounded

CORES_PER_WORKER = 1.0  # one event loop is one thread on one core; native threads are the thread checks' job


def check_compose_host(units: list[Unit], rules: dict[str, Rule], node: float, node_source: str) -> list[Finding]:
    """WA521: the services of one compose file run on one host: sum replicas x workers over them."""
    by_file: dict[str, list[tuple[Unit, int, int]]] = {}
    for u in units:
        if u.kind == "compose" and u.production and u.process and u.process.server not in ("python", ""):
            workers = effective_workers(u.process)
            if workers is not None:
                by_file.setdefault(u.path, []).append((u, workers, u.replicas or 1))
    findings = []
    for path, group in by_file.items():
        demand = sum(w * r * CORES_PER_WORKER for _, w, r in group)
        if demand <= node + 1e-9 or not any(r > 1 for _, _, r in group):
            continue  # one replica per service: WA501/WA502 already judge each container
        parts = " + ".join(f"{u.name} {r} x {w} worker(s)" for u, w, r in group)
        first = group[0][0]
        findings.append(emit(rules["WA521"], path, first.line, symbol=path, what=f"the services of this file ({parts})",
                             demand=format_cpus(demand), capacity=format_cpus(node),
                             capacity_what=f"of the host ({node_source})"))
    return findings


def _quotas(root: Path) -> list[tuple[str, int, str, float]]:
    """(path, line, "limits.cpu" | "requests.cpu", CPUs) for every ResourceQuota under ``root``."""
    out = []
    for path in iter_files(root):
        if kind_of(path.name) != "yaml":
            continue
        try:
            text = read_bounded(path, "deployment file", MAX_DEPLOYMENT_FILE)
        except InputError:
            continue
        if "ResourceQuota" not in text:
            continue
        docs, _ = load_documents(display_path(path), text)
        for data, lines in docs:
            if not (isinstance(data, dict) and data.get("kind") == "ResourceQuota"):
                continue
            hard = as_map(as_map(data.get("spec")).get("hard"))
            for key in ("limits.cpu", "requests.cpu"):
                cpus = parse_cpus(hard.get(key)) if key in hard else None
                if cpus is not None:
                    out.append((display_path(path), line_of(lines, "spec", "hard", key), key, cpus))
    return out


def _pod_cpu(unit: Unit, key: str) -> float | None:
    return unit.cpu_limit if key == "limits.cpu" else unit.cpu_request


def check_quota(root: Path, units: list[Unit], rules: dict[str, Rule]) -> list[Finding]:
    """WA521: Kubernetes workloads at their HPA maximum (else replicas) x pod CPU vs a ResourceQuota.

    A quota binds one namespace; the workloads counted are those in the quota's directory (manifests
    of one namespace sit together), since namespaces are often set at apply time, not in the files."""
    pods = [u for u in units if u.kind == "kubernetes" and u.production]
    findings = []
    for path, line, key, hard in _quotas(root):
        rows: list[tuple[Unit, int, float]] = []
        for u in pods:
            if posixpath.dirname(u.path) != posixpath.dirname(path):
                continue
            cpu = _pod_cpu(u, key)
            if cpu is not None:
                rows.append((u, hpa_max_replicas(u)[0], cpu))
        demand = sum(r * c for _, r, c in rows)
        if rows and demand > hard + 1e-9:
            parts = " + ".join(f"{u.name} {r} x {format_cpus(c)}" for u, r, c in rows)
            findings.append(emit(rules["WA521"], path, line, symbol=f"{path}:{key}",
                                 what=f"the workloads at full scale ({parts} CPU {key})",
                                 demand=format_cpus(demand), capacity=format_cpus(hard),
                                 capacity_what=f"of the namespace ResourceQuota ({key})"))
    return findings


def check_ray_routers(units: list[Unit], rules: dict[str, Rule], node: float, node_source: str) -> list[Finding]:
    """WA522: router/proxy deployments' reservations are what pushes the Ray node over its CPUs."""
    by_file: dict[str, list[Unit]] = {}
    for u in units:
        if u.kind == "ray-serve" and u.production and u.cpu_request is not None:
            by_file.setdefault(u.path, []).append(u)
    findings = []
    for path, group in by_file.items():
        reserved = {u.name: (u.cpu_request or 0.0) * _ray_replicas(u) for u in group}
        # a router holding a whole CPU per replica (Ray's default) only to forward requests
        routers = [u for u in group if is_router(u.name) and (u.cpu_request or 0) >= RAY_DEFAULT_REPLICA_CPUS]
        total = sum(reserved.values())
        router_cpus = sum(reserved[u.name] for u in routers)
        if not routers or total <= node + 1e-9 or total - router_cpus > node + 1e-9:
            continue  # fits, or the models alone do not fit (WA510 says so): not the routers' doing
        names = ", ".join(f"{u.name} {format_cpus(u.cpu_request or 0)} CPU x {_ray_replicas(u)}" for u in routers)
        findings.append(emit(rules["WA522"], path, routers[0].request_line or routers[0].line,
                             symbol=routers[0].name, routers=names, router_cpus=format_cpus(router_cpus),
                             total=format_cpus(total), node=format_cpus(node), node_source=node_source,
                             models=format_cpus(total - router_cpus)))
    return findings


def _ray_replicas(unit: Unit) -> int:
    top: Any = unit.extra.get("max_replicas")
    return top if isinstance(top, int) and top > (unit.replicas or 1) else (unit.replicas or 1)
