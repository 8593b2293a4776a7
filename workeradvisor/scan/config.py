"""``[tool.workeradvisor]`` in pyproject.toml: select, ignore, exclude, per-file-ignores, rules, fail-on."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from workeradvisor.errors import ConfigError
from workeradvisor.safeio import MAX_CONFIG_FILE, read_bounded

FAIL_ON = ("error", "warning", "info", "never")
_KEYS = {"select", "ignore", "exclude", "per-file-ignores", "rules", "fail-on", "max-depth"}


@dataclass(frozen=True)
class ScanConfig:
    root: Path | None = None  # directory of the pyproject.toml it came from
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rules_dirs: tuple[Path, ...] = ()
    fail_on: str | None = None
    max_depth: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def exclude_spec(self) -> pathspec.PathSpec | None:
        return pathspec.GitIgnoreSpec.from_lines(self.exclude) if self.exclude else None

    def per_file_specs(self) -> list[tuple[pathspec.PathSpec, tuple[str, ...]]]:
        return [(pathspec.GitIgnoreSpec.from_lines([glob]), ids) for glob, ids in self.per_file_ignores]


def find_pyproject(start: Path) -> Path | None:
    for d in (start, *start.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def load_config(start: Path) -> ScanConfig:
    """The nearest pyproject.toml's ``[tool.workeradvisor]`` (empty config when there is none)."""
    path = find_pyproject(start.resolve())
    if path is None:
        return ScanConfig()
    try:
        data = tomllib.loads(read_bounded(path, "pyproject.toml", MAX_CONFIG_FILE))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    section = data.get("tool", {}).get("workeradvisor")
    if section is None:
        return ScanConfig(root=path.parent)
    where = f"{path}: [tool.workeradvisor]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(section) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    pfi = section.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}.per-file-ignores must be a table of glob = [rule ids]")
    fail_on = section.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"{where}.fail-on must be one of {', '.join(FAIL_ON)}")
    depth = section.get("max-depth")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ConfigError(f"{where}.max-depth must be a non-negative integer")
    return ScanConfig(
        root=path.parent,
        select=_str_list(section.get("select", []), f"{where}.select"),
        ignore=_str_list(section.get("ignore", []), f"{where}.ignore"),
        exclude=_str_list(section.get("exclude", []), f"{where}.exclude"),
        per_file_ignores=tuple((g, _str_list(v, f"{where}.per-file-ignores.{g}")) for g, v in sorted(pfi.items())),
        rules_dirs=tuple(path.parent / d for d in _str_list(section.get("rules", []), f"{where}.rules")),
        fail_on=fail_on,
        max_depth=depth,
    )
