"""Development configs, recognised by name and by content.

By name: ``*.dev.*``, ``*-local.*``, ``*override*``... By content: a compose project ``name:``
containing dev/local, a service that bind-mounts a source directory into the container (live code,
the `--reload` workflow), or a service that builds a development Dockerfile. Such units keep their
inventory row but are not judged as production.
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath
from typing import Any

_NON_PROD = re.compile(r"(^|[._-])(dev|develop|development|local|test|tests|override|debug)([._-]|$)", re.I)
_SOURCE_MARKERS = ("pyproject.toml", "setup.py", "requirements.txt", "manage.py")
_MAX_LISTED = 2000  # a bind-mounted directory is judged by its first entries, never walked


def dev_name(name: str) -> bool:
    """A file or project name that says development: ``mem0-dev``, ``compose.local.yml``..."""
    return bool(_NON_PROD.search(name))


def _host_side(volume: Any) -> str | None:
    if isinstance(volume, dict):
        kind, source = volume.get("type", "bind"), volume.get("source")
        return str(source) if kind == "bind" and source else None
    if isinstance(volume, str) and ":" in volume:
        source = volume.split(":", 1)[0]
        return source if source.startswith((".", "/", "~")) else None  # a bare word is a named volume
    return None


def _is_source_dir(path: str) -> bool:
    try:
        with os.scandir(path) as it:
            for i, entry in enumerate(it):
                if i >= _MAX_LISTED:
                    break
                if entry.name.endswith(".py") or entry.name in _SOURCE_MARKERS:
                    return True
    except OSError:
        return False
    return False


def source_bind_mount(volumes: Any, compose_path: str) -> str:
    """The first volume that bind-mounts a directory holding Python source, or ""."""
    if not isinstance(volumes, list):
        return ""
    base = str(PurePosixPath(compose_path).parent)
    for volume in volumes:
        host = _host_side(volume)
        if host is None or host.startswith(("~", "/")):
            continue
        if _is_source_dir(os.path.normpath(os.path.join(base, host))):
            return host
    return ""
