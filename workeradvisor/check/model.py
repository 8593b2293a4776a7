"""What each deployment file configures: the inventory rows the checks run over.

These are the check layer's own working records (mutable while files are merged), not part of
``workeradvisor.models``: only ``Finding`` objects leave the check package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Process:
    """One server command line (uvicorn, gunicorn, fastapi-cli, hypercorn) or ``python script.py``."""

    server: str  # "uvicorn" | "gunicorn" | "fastapi" | "hypercorn" | "python" | ""
    line: int
    workers: int | None = None
    workers_expr: str = ""  # the raw value when it is not an integer literal
    formula: str = ""  # container-blind formula text, e.g. "$(nproc)" or "multiprocessing.cpu_count() * 2 + 1"
    reload: bool = False
    worker_class: str = ""
    bind: str = ""
    config_file: str = ""  # gunicorn/hypercorn -c
    script: str = ""  # python path/to/main.py
    text: str = ""  # the command as written, for the report
    argv: tuple[str, ...] = ()  # the words parsed, so another file's environment can be applied again
    path: str = ""  # file the command is written in (a compose service may run a Dockerfile's CMD)
    workers_env: str = ""  # environment variable the worker count came from, if any
    workers_path: str = ""  # where the worker count is set: command, env var, gunicorn.conf.py
    workers_line: int = 0
    reload_path: str = ""
    reload_line: int = 0
    from_env: dict[str, str] = field(default_factory=dict)  # "reload"/"worker_class" -> variable that set it
    class_path: str = ""
    class_line: int = 0  # where the worker class is set, when not on the command line


@dataclass
class Unit:
    """One deployable thing found in one file: a Dockerfile image, a compose service, a k8s workload..."""

    path: str
    kind: str  # dockerfile | compose | kubernetes | procfile | systemd | gunicorn-conf | python | ray-serve
    name: str
    line: int
    process: Process | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    cpu_limit: float | None = None
    cpu_request: float | None = None
    mem_limit: int | None = None
    mem_request: int | None = None
    limit_line: int = 0
    request_line: int = 0  # where CPU requests/reservations are set
    replicas: int | None = None
    hpa: str = ""  # "min-max @ target" when an HPA targets this workload
    production: bool = True
    build_context: str | None = None  # compose "build:" directory, resolved
    image_from: str = ""  # path of the Dockerfile whose CMD this unit runs
    consumed: bool = False  # a Dockerfile already checked through the compose/k8s unit that runs it
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # gunicorn-conf: workers/reload/worker_class keys


@dataclass(frozen=True)
class ParseProblem:
    """A file we could not read: one line naming the file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
