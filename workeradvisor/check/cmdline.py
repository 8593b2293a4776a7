"""Understand server command lines as data: uvicorn, gunicorn, fastapi-cli and hypercorn flags.

Shell text is split with ``shlex`` after ``$(...)``/``$((...))`` substitutions are set aside, so a
formula like ``-w $((2 * $(nproc) + 1))`` stays one token we can recognise instead of executing.
"""

from __future__ import annotations

import os
import re
import shlex

from workeradvisor.check.model import Process

SERVERS = ("uvicorn", "gunicorn", "hypercorn", "fastapi")
# wrappers that run the real command: skip them (and their own arguments where noted)
_WRAPPERS = {"exec", "env", "nohup", "ddtrace-run", "opentelemetry-instrument", "tini", "dumb-init", "--"}
_RUNNERS = {("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("newrelic-admin", "run-program")}
_SEPARATORS = {"&&", "||", ";", "|", "&"}
FORMULA_RE = re.compile(r"nproc|cpu_count|getconf\s+_NPROCESSORS|sched_getaffinity|2\s*\*\s*\S+\s*\+\s*1")
_ENV_REF = re.compile(r"^\$\{?(\w+)(?::?-([^}]*))?\}?$|^\$\((\w+)\)$")  # $X, ${X:-d}, k8s $(X)
_ASSIGN = re.compile(r"^[A-Za-z_]\w*=")


def _protect_substitutions(text: str) -> tuple[str, dict[str, str]]:
    """Replace each ``$( ... )`` (balanced) with a placeholder token; return the mapping."""
    out: list[str] = []
    subs: dict[str, str] = {}
    i = 0
    while i < len(text):
        if text.startswith("$(", i):
            depth, j = 0, i + 1
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            key = f"__wasub{len(subs)}__"
            subs[key] = text[i : j + 1]
            out.append(key)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), subs


def split_shell(text: str) -> list[str]:
    """Shell words with substitutions kept whole. Raises ValueError on unbalanced quotes."""
    protected, subs = _protect_substitutions(text)
    words = shlex.split(protected, comments=True, posix=True)
    result = []
    for w in words:
        for key, original in subs.items():
            w = w.replace(key, original)
        result.append(w)
    return result


def _segments(words: list[str]) -> list[list[str]]:
    segs: list[list[str]] = [[]]
    for w in words:
        if w in _SEPARATORS:
            segs.append([])
        else:
            segs[-1].append(w)
    return [s for s in segs if s]


def _strip_prefix(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Drop env assignments, exec/wrappers, ``python -m`` and ``poetry run``-style runners."""
    env: dict[str, str] = {}
    i = 0
    while i < len(argv):
        w = argv[i]
        base = os.path.basename(w)
        if _ASSIGN.match(w):
            k, _, v = w.partition("=")
            env[k] = v
        elif base in _WRAPPERS or (base == "env" and i + 1 < len(argv)):
            pass
        elif i + 1 < len(argv) and (base, argv[i + 1]) in _RUNNERS:
            i += 1
        elif re.match(r"^python[\d.]*$", base) and i + 2 < len(argv) and argv[i + 1] == "-m":
            return argv[i + 2 :], env
        else:
            return argv[i:], env
        i += 1
    return [], env


def _value_of(w: str, env: dict[str, str]) -> tuple[int | None, str, str]:
    """(int or None, raw expression, formula) for a workers value."""
    w = w.strip()
    if w.isdigit():
        return int(w), "", ""
    if FORMULA_RE.search(w):
        return None, w, w
    m = _ENV_REF.match(w)
    if m:
        name = m.group(1) or m.group(3)
        val = env.get(name, m.group(2))
        if not val and name in env:
            val = m.group(2)
        if val is not None and val.strip().isdigit():
            return int(val), w, ""
        if val is not None and FORMULA_RE.search(val):
            return None, w, val
    return None, w, ""


# flag -> field, per server; a flag mapping to "reload" takes no value
_FLAGS = {
    "uvicorn": {"--workers": "workers", "--reload": "reload", "--host": "host", "--port": "port", "--uds": "bind"},
    "fastapi": {"--workers": "workers", "--reload": "reload", "--host": "host", "--port": "port"},
    "gunicorn": {"-w": "workers", "--workers": "workers", "--reload": "reload", "-k": "worker_class",
                 "--worker-class": "worker_class", "-b": "bind", "--bind": "bind", "-c": "config_file",
                 "--config": "config_file"},
    "hypercorn": {"-w": "workers", "--workers": "workers", "--reload": "reload", "-k": "worker_class",
                  "--worker-class": "worker_class", "-b": "bind", "--bind": "bind", "-c": "config_file",
                  "--config": "config_file"},
}


def parse_server_args(server: str, args: list[str], proc: Process, env: dict[str, str]) -> None:
    """Apply a server's flags (argv after the program name) to ``proc``."""
    flags = _FLAGS[server]
    host = port = ""
    i = 0
    while i < len(args):
        w = args[i]
        name, eq, inline = w.partition("=")
        if not eq and len(w) > 2 and w[:2] in flags and not w.startswith("--"):  # -w4, -kgevent
            name, inline, eq = w[:2], w[2:], "="
        field_name = flags.get(name)
        if field_name == "reload":
            proc.reload = inline.lower() not in ("false", "0") if eq else True
        elif field_name is not None:
            value = inline if eq else (args[i + 1] if i + 1 < len(args) else "")
            i += 0 if eq else 1
            if field_name == "workers":
                proc.workers, proc.workers_expr, proc.formula = _value_of(value, env)
            elif field_name == "host":
                host = value
            elif field_name == "port":
                port = value
            else:
                setattr(proc, field_name, value)
        i += 1
    if host or port:
        proc.bind = f"{host or '127.0.0.1'}:{port or '8000'}"


def parse_argv(argv: list[str], line: int, env: dict[str, str] | None = None) -> Process | None:
    """The server process an argv starts, or None when it starts none we know."""
    env = dict(env or {})
    for seg in _segments(argv):
        if len(seg) >= 3 and os.path.basename(seg[0]) in ("sh", "bash", "ash", "dash") and "-c" in seg[:3]:
            inner = parse_shell(seg[seg.index("-c") + 1], line, env) if seg.index("-c") + 1 < len(seg) else None
            if inner:
                return inner
            continue
        rest, assigned = _strip_prefix(seg)
        if not rest:
            continue
        env.update(assigned)
        prog = os.path.basename(rest[0])
        text = " ".join(argv)
        if prog in SERVERS:
            proc = Process(server=prog, line=line, text=text, argv=tuple(argv))
            args = rest[1:]
            if prog == "fastapi" and args and args[0] in ("run", "dev"):
                proc.reload = args[0] == "dev"
                args = args[1:]
            parse_server_args(prog, args, proc, env)
            return proc
        if re.match(r"^python[\d.]*$", prog) and len(rest) > 1 and rest[1].endswith(".py"):
            return Process(server="python", line=line, script=rest[1], text=text, argv=tuple(argv))
    return None


def parse_shell(text: str, line: int, env: dict[str, str] | None = None) -> Process | None:
    """Parse a shell-form command. Raises ValueError (e.g. unbalanced quotes)."""
    return parse_argv(split_shell(text), line, env)


def apply_env(proc: Process, env: dict[str, str]) -> str:
    """Fill workers/reload/class from the environment the server reads; returns the variable used."""
    used = ""
    if proc.server == "gunicorn" and env.get("GUNICORN_CMD_ARGS"):
        probe = Process(server="gunicorn", line=proc.line)
        parse_server_args("gunicorn", split_shell(env["GUNICORN_CMD_ARGS"]), probe, env)
        if proc.workers is None and not proc.formula and (probe.workers is not None or probe.formula):
            proc.workers, proc.workers_expr, proc.formula = probe.workers, probe.workers_expr, probe.formula
            used = proc.workers_env = "GUNICORN_CMD_ARGS"
        if probe.reload and not proc.reload:
            proc.reload, proc.from_env["reload"] = True, "GUNICORN_CMD_ARGS"
        if probe.worker_class and not proc.worker_class:
            proc.worker_class, proc.from_env["worker_class"] = probe.worker_class, "GUNICORN_CMD_ARGS"
        proc.bind = proc.bind or probe.bind
    if proc.server == "uvicorn" and env.get("UVICORN_RELOAD", "").lower() in ("1", "true", "yes") and not proc.reload:
        proc.reload, proc.from_env["reload"] = True, "UVICORN_RELOAD"
        used = used or "UVICORN_RELOAD"
    names = {"uvicorn": ("UVICORN_WORKERS", "WEB_CONCURRENCY"), "gunicorn": ("WEB_CONCURRENCY",),
             "fastapi": ("WEB_CONCURRENCY",), "hypercorn": ()}.get(proc.server, ())
    for name in names:
        if proc.workers is None and not proc.formula and env.get(name):
            proc.workers, proc.workers_expr, proc.formula = _value_of(env[name], env)
            proc.workers_expr = proc.workers_expr or f"${name}"
            proc.workers_env = name
            return name
    return used
