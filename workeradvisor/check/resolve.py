"""Join what the files say into effective settings per deployable unit.

A compose service that builds a Dockerfile runs that Dockerfile's CMD with the service's
environment; a gunicorn command reads ``gunicorn.conf.py``; ``python main.py`` runs the
``uvicorn.run(...)`` call in ``main.py``. Workers resolve in the servers' own precedence order.
"""

from __future__ import annotations

import copy
import posixpath
import re

from workeradvisor.check.cmdline import apply_env, parse_argv
from workeradvisor.check.model import Process, Unit

_ENV_NAME = re.compile(r"^\$[{(]?(\w+)")
DEFAULT_WORKERS = 1  # uvicorn, gunicorn, hypercorn and fastapi-cli all default to one worker


def _anchor(proc: Process, path: str, env_lines: dict[str, int]) -> None:
    """Point the worker-count finding at the line that sets it: an env var's line or the command."""
    ref = _ENV_NAME.match(proc.workers_expr)
    var = proc.workers_env or (ref.group(1) if ref else "")
    if env_lines.get(var):
        proc.workers_path, proc.workers_line = path, env_lines[var]
    elif not proc.workers_path:
        proc.workers_path, proc.workers_line = proc.path, proc.line
    for attr, name in proc.from_env.items():
        if env_lines.get(name):
            setattr(proc, "class_path" if attr == "worker_class" else "reload_path", path)
            setattr(proc, "class_line" if attr == "worker_class" else "reload_line", env_lines[name])


def _adopt(unit: Unit, source: Unit, note: str) -> None:
    """Run ``source``'s command in ``unit``: environment of ``unit`` wins over the image's ENV."""
    assert source.process is not None
    env = {**source.env, **unit.env}
    proc = parse_argv(list(source.process.argv), source.process.line, env) if source.process.argv else None
    proc = proc or copy.deepcopy(source.process)
    apply_env(proc, env)
    proc.path = source.path
    _anchor(proc, source.path, source.env_lines)
    ref = _ENV_NAME.match(proc.workers_expr)
    if (proc.workers_env or (ref.group(1) if ref else "")) in unit.env:
        proc.workers_path = ""
        _anchor(proc, unit.path, unit.env_lines)
    unit.env = env
    unit.process = proc
    unit.image_from = source.path
    unit.notes.append(note)
    source.notes.append(f"run by {unit.kind} {unit.name} ({unit.path})")
    source.consumed = True


def _gunicorn_conf_for(proc: Process, units: list[Unit]) -> Unit | None:
    confs = [u for u in units if u.kind == "gunicorn-conf"]
    if proc.config_file:
        wanted = posixpath.basename(proc.config_file.replace("python:", "").replace(".", "/") + ".py"
                                    if proc.config_file.startswith("python:") else proc.config_file)
        return next((c for c in confs if posixpath.basename(c.path) == wanted), None)
    cwd = posixpath.dirname(proc.path)
    return next((c for c in confs if posixpath.dirname(c.path) == cwd and
                 posixpath.basename(c.path) == "gunicorn.conf.py"), None)


def resolve(units: list[Unit]) -> list[Unit]:
    """Fill cross-file settings in place; returns the units the checks should judge."""
    for unit in units:
        proc = unit.process
        if proc:
            proc.path = proc.path or unit.path
            _anchor(proc, unit.path, unit.env_lines)
            proc.reload_path, proc.reload_line = proc.reload_path or proc.path, proc.reload_line or proc.line
    dockerfiles = {u.path: u for u in units if u.kind == "dockerfile" and u.process}
    for unit in units:
        if unit.process is not None or unit.kind not in ("compose", "kubernetes"):
            continue
        if unit.kind == "compose" and unit.build_context in dockerfiles:
            _adopt(unit, dockerfiles[unit.build_context], f"runs the CMD of {unit.build_context}")
        elif unit.kind == "kubernetes" and len(dockerfiles) == 1:
            only = next(iter(dockerfiles.values()))
            _adopt(unit, only, f"no command: assumed to run the image built from {only.path}")
    scripts = {u.path: u for u in units if u.kind == "python"}
    for unit in units:
        py = unit.process
        if py and py.server == "python":
            target = next((p for p in scripts if p == posixpath.normpath(posixpath.join(
                posixpath.dirname(unit.image_from or unit.path), py.script)) or p.endswith("/" + py.script)
                or p == py.script), None)
            if target:
                script = scripts[target]
                script.consumed = True
                unit.process = copy.deepcopy(script.process)
                unit.notes.append(f"python {py.script} calls uvicorn.run at {target}:{script.line}")
        if unit.process and unit.process.server == "gunicorn" and unit.kind != "gunicorn-conf":
            conf = _gunicorn_conf_for(unit.process, units)
            if conf and conf.process:
                _merge_conf(unit.process, conf, unit)
    return [u for u in units if not u.consumed]


def _merge_conf(proc: Process, conf: Unit, unit: Unit) -> None:
    """Command-line flags (and GUNICORN_CMD_ARGS) override the config file; WEB_CONCURRENCY is below it,
    unless the config file itself reads a variable (``os.environ.get("WEB_CONCURRENCY", 2)``)."""
    settings = conf.process
    assert settings is not None
    from_env_default = proc.workers_env == "WEB_CONCURRENCY"
    if "workers" in conf.extra and (proc.workers is None and not proc.formula or from_env_default):
        proc.workers, proc.workers_expr, proc.formula = settings.workers, settings.workers_expr, settings.formula
        proc.workers_path, proc.workers_line, proc.workers_env = conf.path, conf.extra["workers"], ""
        var = conf.extra.get("workers_env", "")
        if var and unit.env.get(var, "").strip().isdigit():
            proc.workers, proc.workers_env = int(unit.env[var]), var
            if unit.env_lines.get(var):
                proc.workers_path, proc.workers_line = unit.path, unit.env_lines[var]
    if settings.reload and not proc.reload:
        proc.reload, proc.reload_path, proc.reload_line = True, conf.path, conf.extra["reload"]
    if not proc.worker_class and settings.worker_class:
        proc.worker_class, proc.class_line = settings.worker_class, settings.class_line
        proc.class_path = conf.path
    proc.bind = proc.bind or settings.bind


def effective_workers(proc: Process) -> int | None:
    """Configured workers, the server default when nothing sets them, None for a formula/unknown."""
    if proc.workers is not None:
        return proc.workers
    if proc.formula or proc.workers_expr:
        return None
    return DEFAULT_WORKERS if proc.server != "python" else None
