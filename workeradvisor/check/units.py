"""CPU and memory quantities as written in compose, Kubernetes and Ray files."""

from __future__ import annotations

import re

_MEM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_MEM_FACTORS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3, "ti": 1024**4,
}
# docker-compose accepts "2g", "512m": binary units (docker's go-units RAMInBytes)
_DOCKER_BINARY = {"k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3, "t": 1024**4}


def parse_cpus(value: object) -> float | None:
    """``"500m"`` -> 0.5, ``"1.5"``/``1.5`` -> 1.5; None when unparseable (e.g. an unset ``${VAR}``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    text = str(value).strip().strip("'\"")
    try:
        if text.endswith("m"):
            return float(text[:-1]) / 1000.0
        return float(text)
    except ValueError:
        return None


def parse_memory(value: object, docker: bool = False) -> int | None:
    """Bytes from ``"512Mi"``, ``"2G"``, ``"2g"`` (docker: binary), ``1073741824``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    m = _MEM_RE.match(str(value).strip("'\""))
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2).lower()
    factors = _DOCKER_BINARY if docker and unit in _DOCKER_BINARY else _MEM_FACTORS
    if unit not in factors:
        return None
    return int(number * factors[unit])


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} B"


def format_cpus(c: float) -> str:
    return f"{c:g}"
